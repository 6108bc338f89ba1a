"""Forms of the settings screen (business, location, API key, loyalty rules): parse and
validate input; the services decide."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from wateja.tenants.models import Business
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
