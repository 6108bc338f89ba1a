"""Forms of the settings screen (business, location, API key, loyalty rules, staff): parse
and validate input; the services decide."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from wateja.tenants.models import Business, JoinVerify, TwoFactorPolicy
from wateja.tenants.roles import Role


class BusinessSettingsForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        label=_("time zone"),
        choices=[(tz, tz) for tz in sorted(zoneinfo.available_timezones())],
    )
    default_language = forms.ChoiceField(label=_("default language"), choices=settings.LANGUAGES)

    class Meta:
        model = Business
        fields = [
            "name",
            "country",
            "currency",
            "timezone",
            "default_language",
            "support_phone",
            "support_email",
            "address",
            "hours",
        ]


class TwoFactorPolicyForm(forms.Form):
    two_factor_required = forms.ChoiceField(
        label=_("Two-step sign-in required for"),
        choices=TwoFactorPolicy.choices,
        help_text=_(
            "A code from an authenticator app after the password. Anyone can turn it on for "
            "themselves on their Security page."
        ),
    )


class LocationForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    city = forms.CharField(label=_("city"), max_length=100, required=False)
    address = forms.CharField(label=_("address"), max_length=300, required=False)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    role = forms.ChoiceField(label=_("role"), choices=Role.choices, initial=Role.MANAGER)


class WalletSettingsForm(forms.Form):
    expiry_rule = forms.ChoiceField(
        label=_("Points expire"),
        choices=[
            ("never", _("Never")),
            ("days", _("N days after they are earned")),
            ("end_of_month", _("At the end of the month, N months later")),
            ("end_of_year", _("At the end of the year, N years later")),
            ("fixed_date", _("On a fixed date")),
            ("rolling", _("N days after the customer's last activity")),
        ],
    )
    expiry_n = forms.IntegerField(label=_("N"), min_value=0, required=False, initial=0)
    expiry_date = forms.DateField(
        label=_("Fixed date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    pending_days = forms.IntegerField(
        label=_("Return window (points pending, days)"), min_value=0, max_value=365
    )
    allow_gifting = forms.BooleanField(label=_("Customers may gift points"), required=False)
    clawback = forms.ChoiceField(
        label=_("After a refund, if the points were spent"),
        choices=[
            ("negative", _("Take back, even below zero")),
            ("other_balance", _("Take back what is left, the rest from cashback")),
            ("absorb", _("Take back what is left, the business absorbs the rest")),
        ],
    )
    topup_bonus = forms.DecimalField(
        label=_("Top-up bonus (%)"), min_value=0, max_value=100, decimal_places=2
    )
    point_value = forms.IntegerField(label=_("Value of a point (minor units)"), min_value=0)
    manager_daily_points = forms.IntegerField(
        label=_("Points a manager may give by hand in a day"), min_value=0, max_value=10**12
    )
    manager_daily_money = forms.CharField(
        label=_("Cashback and store credit a manager may give by hand in a day"), max_length=30
    )


# --- staff (Settings → Staff): the owner adds and changes staff; the services decide ---


def staff_role_choices() -> list[tuple[str, Any]]:
    """Roles the owner can give: every one but owner (a business has one owner)."""
    return [(value, label) for value, label in Role.choices if value != Role.OWNER]


def _locations_field() -> forms.TypedMultipleChoiceField:
    return forms.TypedMultipleChoiceField(
        label=_("Works at"),
        coerce=int,
        required=False,
        help_text=_("Leave all unticked to let them work at every location."),
        widget=forms.CheckboxSelectMultiple,
    )


class _WithLocations(forms.Form):
    """A form with the business's locations as checkboxes (`locations`: id and name pairs)."""

    def __init__(self, *args: Any, locations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["locations"].choices = locations  # type: ignore[attr-defined]


def _pin_field(required: bool) -> forms.CharField:
    return forms.CharField(
        label=_("Till PIN"),
        required=required,
        strip=True,
        help_text=_("4 to 6 digits, to switch cashiers at a shared till."),
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 6}
        ),
    )


def _password_field() -> forms.CharField:
    return forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class StaffAddForm(_WithLocations):
    name = forms.CharField(label=_("Name"), max_length=150)
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    role = forms.ChoiceField(label=_("Role"), choices=staff_role_choices, initial=Role.CASHIER)
    locations = _locations_field()
    password = _password_field()
    pin = _pin_field(required=False)


class StaffChangeForm(_WithLocations):
    """Role and locations of a staff member; the owner's role is not offered (it is fixed)."""

    role = forms.ChoiceField(label=_("Role"), choices=staff_role_choices)
    locations = _locations_field()

    def __init__(self, *args: Any, owner: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if owner:
            del self.fields["role"]


class StaffPasswordForm(forms.Form):
    password = _password_field()


class StaffPinForm(forms.Form):
    pin = _pin_field(required=True)


class EnrolmentSettingsForm(forms.Form):
    """The public enrolment page's settings (the service checks the country codes)."""

    countries_served = forms.CharField(
        label=_("Countries whose phone numbers the page takes"),
        max_length=200,
        required=False,
        help_text=_("Country codes, e.g. KE, TZ, UG. Empty: only the business's own country."),
    )
    join_verify_phone = forms.ChoiceField(
        label=_("Check the phone by an SMS code"), choices=JoinVerify.choices
    )
