"""The webhook endpoint form: an address, what it is for, the events it wants."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wateja.webhooks.models import Endpoint, EventType


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Address"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
    )
    description = forms.CharField(label=_("What it is for"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave them all unticked for every event."),
    )
    active = forms.BooleanField(
        label=_("Send events to this address"), required=False, initial=True
    )

    @staticmethod
    def initial_for(endpoint: Endpoint) -> dict[str, object]:
        return {
            "url": endpoint.url,
            "description": endpoint.description,
            "event_types": endpoint.event_types,
            "active": endpoint.active,
        }
