"""Forms of the customer screens (enrolment, the profile, interactions, segments), also used
by the public enrolment page: parse and validate input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from wateja.customers.models import PREFERRED_CHANNELS, Channel

MONTHS = [
    ("", "—"),
    (1, _("January")),
    (2, _("February")),
    (3, _("March")),
    (4, _("April")),
    (5, _("May")),
    (6, _("June")),
    (7, _("July")),
    (8, _("August")),
    (9, _("September")),
    (10, _("October")),
    (11, _("November")),
    (12, _("December")),
]
DAYS = [("", "—"), *[(d, str(d)) for d in range(1, 32)]]


class ContactFields(forms.Form):
    """What enrolment and the profile share: contacts, city, birthday (day and month)."""

    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    birth_day = forms.TypedChoiceField(
        label=_("Birthday: day"), choices=DAYS, coerce=int, empty_value=None, required=False
    )
    birth_month = forms.TypedChoiceField(
        label=_("Birthday: month"), choices=MONTHS, coerce=int, empty_value=None, required=False
    )


class CustomerForm(ContactFields):
    """The customer profile as staff edit it. Normalisation and rules live in the service."""

    name = forms.CharField(label=_("Name"), max_length=200)
    field_order = ["name", "phone", "email", "city", "birth_day", "birth_month"]
    birth_year = forms.IntegerField(label=_("Year (optional)"), required=False)
    language = forms.ChoiceField(
        label=_("Preferred language"), choices=[("", "—"), *settings.LANGUAGES], required=False
    )
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"),
        choices=[("", "—"), *PREFERRED_CHANNELS],
        required=False,
    )
    gender = forms.ChoiceField(
        label=_("Gender"),
        choices=[("", "—"), ("female", _("Female")), ("male", _("Male")), ("other", _("Other"))],
        required=False,
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separate with commas"))
    notes = forms.CharField(
        label=_("Service nuances"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def profile(self) -> dict[str, object]:
        data = dict(self.cleaned_data)
        data.pop("tags", None)
        return data

    def tag_list(self) -> list[str]:
        return [t for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]


class EnrolForm(ContactFields):
    """The one-minute questionnaire: a name, one contact, a city; nothing more is asked."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    consent_sms = forms.BooleanField(required=False)
    consent_email = forms.BooleanField(required=False)


def enrol_consents(data: dict[str, Any]) -> dict[str, bool]:
    """Takes the consent boxes out of an EnrolForm's cleaned data: {channel: ticked}."""
    return {
        Channel.SMS.value: bool(data.pop("consent_sms")),
        Channel.EMAIL.value: bool(data.pop("consent_email")),
    }


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            ("note", _("Note")),
            ("complaint", _("Complaint")),
            ("service", _("Service request")),
        ],
    )
    summary = forms.CharField(label=_("Summary"), max_length=300)
    body = forms.CharField(
        label=_("Details"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    due_at = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    city = forms.CharField(label=_("City"), required=False)
    tag = forms.CharField(label=_("Tag"), required=False)
    spent_min = forms.CharField(label=_("Spent at least"), required=False, max_length=30)
    spent_max = forms.CharField(label=_("Spent at most"), required=False, max_length=30)
    last_purchase_after = forms.DateField(
        label=_("Last purchase after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    last_purchase_before = forms.DateField(
        label=_("Last purchase before"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    no_purchase_days = forms.IntegerField(
        label=_("No purchase in the last (days)"), required=False, min_value=1, max_value=36500
    )
    birthday_month = forms.ChoiceField(
        label=_("Birthday in"),
        choices=[("", "—"), ("this", _("this month")), *MONTHS[1:]],
        required=False,
    )
    consent_sms = forms.NullBooleanField(label=_("Agreed to SMS"), required=False)
    consent_email = forms.NullBooleanField(label=_("Agreed to e-mail"), required=False)
    interests = forms.CharField(
        label=_("Interested in (any of, comma separated)"), required=False, max_length=300
    )
