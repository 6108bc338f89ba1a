"""Models of events and workshops: the event and the products it presents, each customer's
registration (invited, going, on the waiting list, declined, cancelled; attended or not) and
the ratings given at a tasting."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wateja.tenants.scoping import BusinessOwned, tenant_key


class EventKind(models.TextChoices):
    EVENT = "event", _("Event")
    TASTING = "tasting", _("Tasting or review")
    WORKSHOP = "workshop", _("Workshop")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for sign-up")
    CANCELLED = "cancelled", _("Cancelled")


class Event(BusinessOwned):
    kind = models.CharField(
        _("kind"), max_length=10, choices=EventKind.choices, default=EventKind.EVENT
    )
    title = models.CharField(_("title"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    location = models.ForeignKey(
        "tenants.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("places"))
    fee_minor = models.BigIntegerField(_("fee"), default=0)
    attendance_points = models.PositiveIntegerField(_("points for coming"), default=0)
    segment = models.ForeignKey(
        "customers.Segment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    products = models.ManyToManyField(
        "catalog.Product", blank=True, through="EventProduct", related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=EventStatus.choices, default=EventStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("event")
        ordering = ["-starts_at", "-id"]
        constraints = [tenant_key("events_event")]

    def __str__(self) -> str:
        return self.title


class EventProduct(BusinessOwned):
    """A product tasted or reviewed at an event (`Event.products`); writers pass
    `through_defaults={"business": ...}`."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, db_constraint=False)
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )

    class Meta:
        verbose_name = _("event product")
        verbose_name_plural = _("event products")
        constraints = [
            models.UniqueConstraint(
                fields=["business", "event", "product"], name="event_product_once"
            )
        ]


class RegistrationStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    GOING = "going", _("Going")
    WAITING = "waiting", _("On the waiting list")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


class RegistrationSource(models.TextChoices):
    LINK = "link", _("Link in a message")
    SMS = "sms", _("SMS reply")
    STAFF = "staff", _("Staff")
    USSD = "ussd", _("USSD")
    API = "api", _("API")
    DOOR = "door", _("At the door")


class Registration(BusinessOwned):
    """One customer and one event. A waiting registration's place in the queue is its
    `waiting_since` (then id); when a place frees up the first one moves up and `promoted_at`
    is set, which the messaging side turns into a message (then sets `promoted_told_at`)."""

    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="registrations",
        db_constraint=False,
        db_index=False,  # registration_by_status leads with it
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="event_registrations",
        db_constraint=False,
    )
    status = models.CharField(_("status"), max_length=10, choices=RegistrationStatus.choices)
    source = models.CharField(
        _("answered by"), max_length=10, choices=RegistrationSource.choices, blank=True
    )
    invited_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    promoted_told_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    rating_asked_at = models.DateTimeField(null=True, blank=True)  # after a tasting
    attended_at = models.DateTimeField(_("came"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("registration")
        ordering = ["event_id", "id"]
        constraints = [
            tenant_key("events_registration"),
            models.UniqueConstraint(
                fields=["business", "event", "customer"], name="registration_once_per_event"
            ),
        ]
        indexes = [models.Index(fields=["event", "status"], name="registration_by_status")]


class ProductRating(BusinessOwned):
    """Stars a guest gave a product at a tasting or review event."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="ratings", db_constraint=False
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    stars = models.PositiveSmallIntegerField(_("stars"))
    rated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("product rating")
        constraints = [
            models.UniqueConstraint(
                fields=["business", "registration", "product"], name="rating_once_per_product"
            )
        ]
