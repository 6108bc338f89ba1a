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
        choices=[("", "—"), ("sms", _("SMS")), ("email", _("E-mail"))],
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


class OfferForm(forms.Form):
    """A promotion as a shop manager thinks of it; advanced JSON for everything else."""

    name = forms.CharField(label=_("Name"), max_length=200)
    type = forms.ChoiceField(label=_("Kind of offer"), choices=[])
    percent = forms.DecimalField(label=_("Percent"), required=False, min_value=0, max_value=100)
    amount = forms.CharField(label=_("Amount or price"), required=False, max_length=30)
    points = forms.IntegerField(label=_("Points"), required=False, min_value=1)
    multiplier = forms.DecimalField(
        label=_("Multiplier"), required=False, min_value=1, max_value=10
    )
    min_subtotal = forms.CharField(label=_("Minimum order"), required=False, max_length=30)
    min_quantity = forms.IntegerField(label=_("Minimum quantity"), required=False, min_value=1)
    skus = forms.CharField(label=_("Item codes (comma separated)"), required=False)
    categories = forms.CharField(label=_("Categories (comma separated)"), required=False)
    description = forms.CharField(label=_("Gift description"), required=False, max_length=200)
    valid_days = forms.IntegerField(label=_("Coupon valid for days"), required=False, min_value=1)
    code = forms.CharField(label=_("Promo code (optional)"), required=False, max_length=40)
    members_only = forms.BooleanField(label=_("Card holders only"), required=False)
    tier = forms.CharField(label=_("Only for the tier"), required=False, max_length=50)
    priority = forms.IntegerField(label=_("Priority (higher first)"), required=False, initial=0)
    exclusive_group = forms.CharField(
        label=_("Exclusive group (the best offer of the group applies)"),
        required=False,
        max_length=50,
    )
    cap = forms.CharField(label=_("Largest discount per order"), required=False, max_length=30)
    stackable = forms.BooleanField(
        label=_("Combines with other offers"), required=False, initial=True
    )
    starts = forms.DateField(
        label=_("Starts"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends = forms.DateField(
        label=_("Ends"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    budget = forms.CharField(label=_("Discount budget"), required=False, max_length=30)
    budget_period = forms.ChoiceField(
        label=_("Budget period"),
        choices=[
            ("total", _("In total")),
            ("day", _("Per day")),
            ("week", _("Per week")),
            ("month", _("Per month")),
        ],
        required=False,
    )
    weekdays = forms.MultipleChoiceField(
        label=_("Only on"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            (0, _("Mon")),
            (1, _("Tue")),
            (2, _("Wed")),
            (3, _("Thu")),
            (4, _("Fri")),
            (5, _("Sat")),
            (6, _("Sun")),
        ],
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[("store", _("In the shop")), ("online", _("Online")), ("phone", _("By phone"))],
    )
    locations = forms.MultipleChoiceField(
        label=_("Branches"), required=False, widget=forms.CheckboxSelectMultiple, choices=[]
    )
    max_uses = forms.IntegerField(label=_("Uses allowed"), required=False, min_value=1)
    max_uses_per_customer = forms.IntegerField(
        label=_("Uses per customer"), required=False, min_value=1
    )
    params_json = forms.JSONField(label=_("Advanced: settings (JSON)"), required=False)
    conditions_json = forms.JSONField(label=_("Advanced: conditions (JSON)"), required=False)

    def __init__(self, *args: object, locations: object = (), **kwargs: object) -> None:
        from wateja.promotions.services import PROMOTION_TYPES

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["type"].choices = list(PROMOTION_TYPES.items())  # type: ignore[attr-defined]
        self.fields["locations"].choices = [(loc.pk, loc.name) for loc in locations]  # type: ignore[attr-defined]


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
