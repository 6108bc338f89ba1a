"""The event form: plain fields, times typed in the business's local time, the fee as money."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from wateja.catalog.models import Product
from wateja.core.money import MoneyError, parse_money
from wateja.customers.models import Segment
from wateja.events.models import EventKind, EventStatus
from wateja.tenants.models import Business, Location
from wateja.web.messages.forms import local_to_utc


def _local(text: str, business: Business) -> dt.datetime:
    return local_to_utc(
        dt.datetime.fromisoformat(text.strip()).replace(tzinfo=None), business.timezone
    )


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    title = forms.CharField(label=_("Title"), max_length=150)
    description = forms.CharField(
        label=_("What happens (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    location = forms.ChoiceField(label=_("Shop"), required=False)
    starts_at = forms.CharField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.CharField(
        label=_("Ends (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    capacity = forms.IntegerField(label=_("Places"), min_value=1)
    fee = forms.CharField(
        label=_("Fee, paid at the door (optional)"), required=False, max_length=20
    )
    attendance_points = forms.IntegerField(label=_("Points for coming"), min_value=0, initial=0)
    segment = forms.ChoiceField(label=_("Who is invited"), required=False)
    products = forms.MultipleChoiceField(
        label=_("Products to rate (tasting)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    status = forms.ChoiceField(label=_("Status"), choices=EventStatus.choices)

    def __init__(self, *args: Any, business: Business, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.business = business
        locations: list[tuple[str, Any]] = [("", _("No shop"))]
        self.fields["location"].choices = locations + [  # type: ignore[attr-defined]
            (str(pk), name)
            for pk, name in Location.objects.for_business(business)
            .filter(is_active=True)
            .order_by("name", "pk")
            .values_list("pk", "name")
        ]
        segments: list[tuple[str, Any]] = [("", _("Every customer"))]
        self.fields["segment"].choices = segments + [  # type: ignore[attr-defined]
            (str(pk), name)
            for pk, name in Segment.objects.for_business(business)
            .order_by("name", "pk")
            .values_list("pk", "name")
        ]
        self.fields["products"].choices = [  # type: ignore[attr-defined]
            (str(pk), name)
            for pk, name in Product.objects.for_business(business)
            .filter(active=True)
            .order_by("name", "pk")
            .values_list("pk", "name")[:200]
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("starts_at", "ends_at"):
            text = (data.get(name) or "").strip()
            data[f"{name}_utc"] = None
            if text:
                try:
                    data[f"{name}_utc"] = _local(text, self.business)
                except ValueError:
                    self.add_error(name, _("Pick a date and time."))
        data["fee_minor"] = 0
        if (data.get("fee") or "").strip():
            try:
                language = translation.get_language() or "en"
                data["fee_minor"] = parse_money(
                    data["fee"], self.business.currency, language
                ).amount_minor
            except MoneyError:
                self.add_error("fee", _("The fee is not a valid amount."))
        return data

    def values(self) -> dict[str, Any]:
        """The service's arguments from the cleaned form."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "title": data["title"],
            "description": data["description"],
            "place": data["place"],
            "location_id": int(data["location"]) if data.get("location") else None,
            "starts_at": data["starts_at_utc"],
            "ends_at": data["ends_at_utc"],
            "capacity": data["capacity"],
            "fee_minor": data["fee_minor"],
            "attendance_points": data["attendance_points"],
            "segment_id": int(data["segment"]) if data.get("segment") else None,
            "product_ids": [int(p) for p in data.get("products") or []],
            "status": data["status"],
        }


class GuestForm(forms.Form):
    query = forms.CharField(label=_("Card, QR or phone"), max_length=300)
