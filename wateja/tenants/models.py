"""Tenancy models: Business, Location, Staff membership with a role and the locations each
member works at, API keys, and each user's two-step sign-in (authenticator device, recovery
codes)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wateja.tenants.roles import Role
from wateja.tenants.scoping import BusinessOwned, tenant_key
from wateja.tenants.secrets import EncryptedTextField


class TwoFactorPolicy(models.TextChoices):
    """Whose sign-in needs a second step (a code from an authenticator app), per business;
    a user who works for several businesses meets the strictest of theirs."""

    OWNERS_MANAGERS = "owners_managers", _("Owners and managers")
    EVERYONE = "everyone", _("Everyone")
    NOBODY = "nobody", _("Nobody")


class JoinVerify(models.TextChoices):
    """Whether the public enrolment page checks the phone by a one-time SMS code."""

    AUTO = "auto", _("Automatic: when an SMS provider is connected")
    ON = "on", _("Always")
    OFF = "off", _("Never")


class Business(models.Model):
    slug = models.SlugField(_("short name"), max_length=60, db_index=False)
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code, e.g. KE"))
    currency = models.CharField(_("currency"), max_length=3, help_text=_("ISO 4217 code, e.g. KES"))
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    default_language = models.CharField(
        _("default language"), max_length=5, choices=settings.LANGUAGES, default="en"
    )
    support_phone = models.CharField(_("support phone"), max_length=32, blank=True)
    support_email = models.EmailField(_("support e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    two_factor_required = models.CharField(
        _("two-step sign-in required for"),
        max_length=20,
        choices=TwoFactorPolicy.choices,
        default=TwoFactorPolicy.OWNERS_MANAGERS,
    )
    # the public enrolment page (/join/<shop>/): whose numbers it takes, and the SMS code check
    countries_served = models.CharField(
        _("countries served"),
        max_length=200,
        blank=True,
        help_text=_("country codes, e.g. KE, TZ; empty: the business's own country"),
    )
    join_verify_phone = models.CharField(
        _("check the phone by SMS code"),
        max_length=4,
        choices=JoinVerify.choices,
        default=JoinVerify.AUTO,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("business")
        verbose_name_plural = _("businesses")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["slug"], name="business_slug_unique")]

    def __str__(self) -> str:
        return self.name


class Location(BusinessOwned):
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["id"]
        constraints = [
            tenant_key("tenants_location"),
            models.UniqueConstraint(fields=["business", "name"], name="location_name_per_business"),
        ]

    def __str__(self) -> str:
        return self.name


class Staff(BusinessOwned):
    """A user's membership of one business, with the role they hold there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False
    )
    locations = models.ManyToManyField(
        Location,
        blank=True,
        through="StaffLocation",
        related_name="staff_members",
        verbose_name=_("works at"),
    )  # none: every location
    active = models.BooleanField(_("active"), default=True)
    # the till PIN, as a keyed digest (unique per business, so the PIN alone says who it is)
    pin_digest = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["id"]
        constraints = [
            tenant_key("tenants_staff"),
            models.UniqueConstraint(fields=["business", "user"], name="staff_once_per_business"),
            models.UniqueConstraint(
                fields=["business", "pin_digest"],
                condition=~models.Q(pin_digest=""),
                name="staff_pin_once_per_business",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class StaffLocation(BusinessOwned):
    """A location a staff member works at (`Staff.locations`); writers pass
    `through_defaults={"business": ...}`."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, db_constraint=False)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, db_constraint=False)

    class Meta:
        verbose_name = _("staff location")
        verbose_name_plural = _("staff locations")
        constraints = [
            models.UniqueConstraint(
                fields=["business", "staff", "location"], name="staff_location_once"
            )
        ]


class ApiKey(BusinessOwned):
    """A bearer key for one business. Only a hash is stored; the key is shown once."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MANAGER)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["prefix"], name="apikey_prefix_unique"),
            tenant_key("tenants_apikey"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (wj_{self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEvent(BusinessOwned):
    """Who did what to whose data, for privacy requests and sensitive changes."""

    action = models.CharField(max_length=50)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False
    )
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=50)
    details = models.JSONField(default=dict)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        ordering = ["-at", "-id"]
        constraints = [tenant_key("tenants_auditevent")]
        indexes = [models.Index(fields=["action"], name="audit_action")]


class SignInFailure(models.Model):
    """One failed staff sign-in (web or admin), for throttling: not business-owned, since the
    business is not known before a sign-in succeeds. Old rows are pruned by housekeeping."""

    username = models.CharField(max_length=150)  # as typed, lower-cased
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["username", "at"], name="signin_failure_user")]

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"


class TwoFactorDevice(models.Model):
    """A user's authenticator app (TOTP, RFC 6238): one per user, whatever businesses they
    work for. The shared secret is kept encrypted (wateja.tenants.secrets) and shown only
    while enrolment is not yet confirmed; `last_step` is the time step of the last code
    accepted, so a code is never accepted twice."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor_device"
    )
    secret_encrypted = EncryptedTextField(editable=False)  # Python sees the plain secret
    confirmed_at = models.DateTimeField(null=True, blank=True)  # None: enrolment under way
    last_step = models.BigIntegerField(default=-1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("two-step sign-in device")

    def __str__(self) -> str:
        return f"{self.user} ({'on' if self.confirmed_at else 'enrolling'})"


class RecoveryCode(models.Model):
    """One of a user's one-time recovery codes, kept as a keyed digest; `used_at` is set when
    it signs someone in (it never works again)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="recovery_codes",
        db_index=False,  # recovery_code_once_per_user leads with it
    )
    digest = models.CharField(max_length=64, editable=False)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "digest"], name="recovery_code_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({'used' if self.used_at else 'unused'})"
