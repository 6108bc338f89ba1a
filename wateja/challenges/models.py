"""Models of challenges: the competitions (their leaderboard is a query over the orders and
the ledger of the period, never stored per event), the places paid when one finishes, the
surprise rules and the gifts they gave."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wateja.customers.models import Customer
from wateja.orders.models import Order
from wateja.tenants.scoping import BusinessOwned


class Metric(models.TextChoices):
    VISITS = "visits", _("Most visits")
    POINTS = "points", _("Most points earned")
    SPEND = "spend", _("Most spent")


class ChallengeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    FINISHED = "finished", _("Finished, rewards paid")
    CANCELLED = "cancelled", _("Cancelled")


class Challenge(BusinessOwned):
    name = models.CharField(_("name"), max_length=120)
    metric = models.CharField(_("who wins"), max_length=10, choices=Metric.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    top_n = models.PositiveSmallIntegerField(_("places rewarded"))
    rewards = models.JSONField(_("points for each place, best first"), default=list)
    status = models.CharField(
        max_length=10, choices=ChallengeStatus.choices, default=ChallengeStatus.OPEN
    )
    public = models.BooleanField(_("public leaderboard page"), default=False)
    public_slug = models.CharField(max_length=24, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("challenge")
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def reward_for(self, place: int) -> int:
        """The points of a place (1-based); 0 outside the rewarded places."""
        if 1 <= place <= min(self.top_n, len(self.rewards)):
            return int(self.rewards[place - 1])
        return 0


class ChallengeWinner(BusinessOwned):
    """A place paid when the challenge finished (the board frozen as it was then)."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="winners")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    place = models.PositiveSmallIntegerField()
    value = models.BigIntegerField()
    points = models.BigIntegerField()
    operation_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["place", "id"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "customer"], name="challenge_winner_once")
        ]


class SurpriseRule(BusinessOwned):
    """A small gift to regulars: every `every_nth` order of a customer who has made at least
    `min_purchases`, points or a named item, within a monthly budget."""

    name = models.CharField(_("name"), max_length=120)
    every_nth = models.PositiveSmallIntegerField(_("every Nth order"))
    min_purchases = models.PositiveSmallIntegerField(_("for customers with at least (orders)"))
    points = models.PositiveIntegerField(_("gift points"), default=0)
    item = models.CharField(_("or a gift item"), max_length=120, blank=True)
    monthly_points = models.PositiveIntegerField(
        _("monthly budget (points)"), null=True, blank=True
    )
    monthly_count = models.PositiveIntegerField(_("monthly budget (gifts)"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("surprise rule")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class SurpriseGift(BusinessOwned):
    """One surprise given with an order (at most one per rule and order)."""

    rule = models.ForeignKey(SurpriseRule, on_delete=models.CASCADE, related_name="gifts")
    order = models.ForeignKey(
        Order, null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    points = models.PositiveIntegerField(default=0)
    item = models.CharField(max_length=120, blank=True)
    given_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-given_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "order"], name="surprise_once_per_order")
        ]
