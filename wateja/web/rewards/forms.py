"""The offer form of the rewards screens: parse and validate input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class OfferForm(forms.Form):
    """Every setting of an offer, for what no recipe covers (no JSON: conditions beyond a
    minimum order are made through the recipes or the API)."""

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
    skus = forms.MultipleChoiceField(
        label=_("Products"),
        required=False,
        choices=[],
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("From the catalogue; hold Ctrl (or Cmd) to choose several."),
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories"),
        required=False,
        choices=[],
        widget=forms.CheckboxSelectMultiple,
    )
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

    def __init__(
        self,
        *args: object,
        locations: object = (),
        products: object = (),
        categories: object = (),
        **kwargs: object,
    ) -> None:
        from wateja.promotions.services import PROMOTION_TYPES

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["type"].choices = list(PROMOTION_TYPES.items())  # type: ignore[attr-defined]
        self.fields["locations"].choices = [(loc.pk, loc.name) for loc in locations]  # type: ignore[attr-defined]
        self.fields["skus"].choices = [(p.sku, f"{p.name} ({p.sku})") for p in products]  # type: ignore[attr-defined]
        self.fields["categories"].choices = [(c.name, c.name) for c in categories]  # type: ignore[attr-defined]
