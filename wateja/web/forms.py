"""Staff forms: parse and validate input; the services decide."""

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
