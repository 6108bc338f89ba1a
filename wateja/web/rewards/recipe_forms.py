"""The short form of each recipe: only its own fields, parsed into the recipe's values
(money typed as the shop writes it, percents as numbers); wateja.promotions.recipes decides."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wateja.catalog.models import Product
from wateja.catalog.services import categories
from wateja.core.money import MAX_AMOUNT_MINOR, MoneyError, parse_money
from wateja.promotions.models import CodeKind
from wateja.tenants.models import Business

DAYS = [
    (0, gettext_lazy("Mon")),
    (1, gettext_lazy("Tue")),
    (2, gettext_lazy("Wed")),
    (3, gettext_lazy("Thu")),
    (4, gettext_lazy("Fri")),
    (5, gettext_lazy("Sat")),
    (6, gettext_lazy("Sun")),
]


def _percent(label: Any, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0.01"),
        max_value=100,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "class": "short"}),
        **kwargs,
    )


def _money(label: Any, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "short"}),
        **kwargs,
    )


def _count(
    label: Any, minimum: int = 1, maximum: int = 100_000, **kwargs: Any
) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=minimum,
        max_value=maximum,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "short"}),
        **kwargs,
    )


class RecipeForm(forms.Form):
    """Common to every recipe: a name and optional dates. Subclasses list their money fields
    (typed amounts → minor units) and percent fields (→ basis points)."""

    money_fields: tuple[str, ...] = ()
    percent_fields: tuple[str, ...] = ()
    dated = True

    name = forms.CharField(
        label=gettext_lazy("Name shown to staff and on receipts"), max_length=200, required=False
    )
    starts = forms.DateField(
        label=gettext_lazy("Starts (empty: at once)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    ends = forms.DateField(
        label=gettext_lazy("Ends (empty: no end)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, business: Business, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.business = business
        if not self.dated:
            del self.fields["starts"], self.fields["ends"]
        for name in ("name", "starts", "ends"):  # common fields last: the recipe's own first
            if name in self.fields:
                self.fields[name] = self.fields.pop(name)

    def products(self) -> list[tuple[str, str]]:
        language = (translation.get_language() or "en").split("-")[0]
        return [
            (p.sku, p.name_in(language))
            for p in Product.objects.for_business(self.business)
            .filter(active=True)
            .order_by("-favourite", "name")[:500]
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        language = translation.get_language() or "en"
        for name in self.money_fields:
            text = str(data.get(name) or "").strip()
            if not text:
                continue
            try:
                amount = parse_money(text, self.business.currency, language).amount_minor
            except MoneyError:
                self.add_error(name, _("The amount is not valid."))
                continue
            if amount <= 0:
                self.add_error(name, _("Enter an amount above zero."))
            elif amount > MAX_AMOUNT_MINOR:
                self.add_error(name, _("The amount is not valid."))
            else:
                data[name] = amount  # minor units from here on: values() reads them
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends < starts:
            self.add_error("ends", _("The end must come after the start."))
        return data

    def values(self) -> dict[str, Any]:
        """The recipe's values from valid input: JSON types only."""
        data = self.cleaned_data
        out: dict[str, Any] = {}
        for name, value in data.items():
            if name == "name" or value in (None, "", []):
                continue
            if name in self.money_fields:
                out[f"{name}_minor"] = int(value)
            elif name in self.percent_fields:
                out[f"{name}_bp"] = int(Decimal(value) * 100)
            elif hasattr(value, "isoformat"):
                out[name] = value.isoformat()
            elif isinstance(value, Decimal):
                out[name] = str(value)
            elif isinstance(value, list):
                out[name] = [
                    int(v) if str(v).isdigit() and name == "weekdays" else v for v in value
                ]
            else:
                out[name] = value
        return out

    @classmethod
    def initial_from(cls, values: dict[str, Any], business: Business) -> dict[str, Any]:
        """Form input from stored values (editing a draft)."""
        from wateja.core.money import Money, format_money

        initial: dict[str, Any] = {}
        for key, value in values.items():
            if key.endswith("_minor") and key[: -len("_minor")] in cls.money_fields:
                initial[key[: -len("_minor")]] = format_money(
                    Money(int(value), business.currency),
                    translation.get_language() or "en",
                    with_currency=False,
                )
            elif key.endswith("_bp") and key[: -len("_bp")] in cls.percent_fields:
                initial[key[: -len("_bp")]] = Decimal(int(value)) / 100
            else:
                initial[key] = value
        return initial


class PointsForm(RecipeForm):
    money_fields = ("per_amount",)
    dated = False
    points = _count(gettext_lazy("Points"), initial=1)
    per_amount = _money(gettext_lazy("For every (amount paid)"))


class CashbackForm(RecipeForm):
    percent_fields = ("percent",)
    dated = False
    percent = _percent(gettext_lazy("Cashback, %"), initial=3)


class StampsForm(RecipeForm):
    dated = False
    visits = _count(gettext_lazy("Free on visit number"), minimum=2, maximum=100, initial=10)
    sku = forms.ChoiceField(label=gettext_lazy("The free product"), choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sku"].choices = self.products()  # type: ignore[attr-defined]


class _ItemsForm(RecipeForm):
    """A recipe that applies to chosen products or categories."""

    skus = forms.MultipleChoiceField(
        label=gettext_lazy("Products"),
        required=False,
        choices=[],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
    )
    categories = forms.MultipleChoiceField(
        label=gettext_lazy("Or whole categories"),
        required=False,
        choices=[],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skus"].choices = self.products()  # type: ignore[attr-defined]
        self.fields["categories"].choices = [  # type: ignore[attr-defined]
            (c.name, c.name) for c in categories(self.business)
        ]


class DoublePointsForm(_ItemsForm):
    multiplier = forms.TypedChoiceField(
        label=gettext_lazy("Points"),
        choices=[
            (20_000, gettext_lazy("Double (×2)")),
            (30_000, gettext_lazy("Triple (×3)")),
            (15_000, gettext_lazy("One and a half (×1.5)")),
        ],
        coerce=int,
        initial=20_000,
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("On"),
        choices=DAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices inline"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skus"].label = _("Only for these products (empty: everything)")
        self.order_fields(["multiplier", "weekdays", "skus", "categories"])

    def values(self) -> dict[str, Any]:
        out = super().values()
        out["multiplier_bp"] = out.pop("multiplier", 20_000)
        return out

    @classmethod
    def initial_from(cls, values: dict[str, Any], business: Business) -> dict[str, Any]:
        initial = super().initial_from(values, business)
        initial["multiplier"] = initial.pop("multiplier_bp", 20_000)
        return initial


class SecondVisitForm(RecipeForm):
    percent_fields = ("percent",)
    percent = _percent(gettext_lazy("Discount, %"), initial=15)
    days = _count(gettext_lazy("If they come back within (days)"), maximum=365, initial=7)


class OwnCupForm(RecipeForm):
    money_fields = ("amount",)
    amount = _money(gettext_lazy("Amount off"))


class WeightGiftForm(RecipeForm):
    kilograms = forms.DecimalField(
        label=gettext_lazy("From (kg in one order)"),
        min_value=Decimal("0.001"),
        max_value=10_000,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "class": "short"}),
    )
    gift = forms.CharField(label=gettext_lazy("The gift"), max_length=200)
    sku = forms.ChoiceField(
        label=gettext_lazy("Gift product (optional)"), choices=[], required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sku"].choices = [("", "—"), *self.products()]  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        out = super().values()
        out["grams"] = int(Decimal(out.pop("kilograms")) * 1000)
        return out

    @classmethod
    def initial_from(cls, values: dict[str, Any], business: Business) -> dict[str, Any]:
        initial = super().initial_from(values, business)
        initial["kilograms"] = Decimal(int(initial.pop("grams", 0))) / 1000
        return initial


class BirthdayForm(RecipeForm):
    dated = False
    points = _count(gettext_lazy("Bonus points"), initial=100)
    days = _count(
        gettext_lazy("Days before or after the birthday"), minimum=0, maximum=30, initial=3
    )


class ComboForm(RecipeForm):
    money_fields = ("price",)
    percent_fields = ("percent",)
    skus = forms.MultipleChoiceField(
        label=gettext_lazy("Products in the combo"),
        choices=[],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
    )
    price = _money(gettext_lazy("Combo price"), required=False)
    percent = _percent(gettext_lazy("Or a discount, %"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skus"].choices = self.products()  # type: ignore[attr-defined]


class MembersForm(RecipeForm):
    percent_fields = ("percent",)
    percent = _percent(gettext_lazy("Discount for card holders, %"), initial=10)


class VolumeForm(_ItemsForm):
    percent_fields = ("percent",)
    min_quantity = _count(gettext_lazy("From (units in one order)"), minimum=2, initial=3)
    percent = _percent(gettext_lazy("Discount, %"), initial=10)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["min_quantity", "percent", "skus", "categories"])


class ReferralForm(RecipeForm):
    dated = False
    percent_fields = ("percent_1", "percent_2", "percent_3")
    friends_1 = _count(gettext_lazy("After friends"), maximum=1000, initial=1)
    percent_1 = _percent(gettext_lazy("Discount, %"), initial=10)
    friends_2 = _count(gettext_lazy("After friends"), maximum=1000, required=False, initial=3)
    percent_2 = _percent(gettext_lazy("Discount, %"), required=False, initial=20)
    friends_3 = _count(gettext_lazy("After friends"), maximum=1000, required=False, initial=5)
    percent_3 = _percent(gettext_lazy("Discount, %"), required=False, initial=30)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        last = 0
        for i in (1, 2, 3):
            friends = data.get(f"friends_{i}")
            if friends and data.get(f"percent_{i}"):
                if friends <= last:
                    self.add_error(f"friends_{i}", _("Each step needs more friends than the last."))
                last = friends
        return data

    def values(self) -> dict[str, Any]:
        out = super().values()
        for i in (1, 2, 3):
            out[f"percent_{i}"] = out.pop(f"percent_{i}_bp", 0)
        return out

    @classmethod
    def initial_from(cls, values: dict[str, Any], business: Business) -> dict[str, Any]:
        return {
            key: (Decimal(int(value)) / 100 if key.startswith("percent_") else value)
            for key, value in values.items()
        }


class CodesForm(RecipeForm):
    money_fields = ("amount", "min_subtotal")
    percent_fields = ("percent",)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of code"),
        choices=[
            (CodeKind.REUSABLE, gettext_lazy("One code for everyone, to announce")),
            (CodeKind.SINGLE_USE, gettext_lazy("One-time codes to print and hand out")),
        ],
        widget=forms.RadioSelect,
        initial=CodeKind.REUSABLE,
    )
    code = forms.CharField(label=gettext_lazy("The code"), max_length=20, required=False)
    count = _count(gettext_lazy("How many one-time codes"), maximum=5000, required=False)
    percent = _percent(gettext_lazy("Discount, %"), required=False)
    amount = _money(gettext_lazy("Or an amount off"), required=False)
    min_subtotal = _money(gettext_lazy("On orders from (optional)"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == CodeKind.REUSABLE and not data.get("code"):
            self.add_error("code", _("Enter the code customers will say."))
        if data.get("kind") == CodeKind.SINGLE_USE and not data.get("count"):
            self.add_error("count", _("Enter how many codes to print."))
        if not data.get("percent") and not data.get("amount"):
            self.add_error("percent", _("Give a percent or an amount off."))
        return data


FORMS: dict[str, type[RecipeForm]] = {
    "points": PointsForm,
    "cashback": CashbackForm,
    "stamps": StampsForm,
    "double_points": DoublePointsForm,
    "second_visit": SecondVisitForm,
    "birthday": BirthdayForm,
    "referral": ReferralForm,
    "combo": ComboForm,
    "volume": VolumeForm,
    "weight_gift": WeightGiftForm,
    "own_cup": OwnCupForm,
    "members": MembersForm,
    "codes": CodesForm,
}


class TierForm(forms.Form):
    """A tier as the owner thinks of it: a name, the spend that reaches it, what it gives."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=50)
    min_spend = _money(gettext_lazy("Reached from a spend of"))
    discount = forms.DecimalField(
        label=gettext_lazy("Discount on every order, %"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "class": "short"}),
    )
    multiplier = forms.DecimalField(
        label=gettext_lazy("Points earned, times the usual"),
        min_value=1,
        max_value=10,
        decimal_places=2,
        initial=1,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "class": "short"}),
    )
    basis = forms.ChoiceField(label=gettext_lazy("Spend counted"), choices=[])
    grace_days = _count(
        gettext_lazy("Days to keep the tier after falling below"),
        minimum=0,
        maximum=3650,
        initial=30,
    )

    def __init__(self, *args: Any, business: Business, **kwargs: Any) -> None:
        from wateja.promotions.models import TierBasis

        super().__init__(*args, **kwargs)
        self.business = business
        self.fields["basis"].choices = TierBasis.choices  # type: ignore[attr-defined]

    def clean_min_spend(self) -> int:
        text = str(self.cleaned_data.get("min_spend") or "").strip()
        try:
            amount = parse_money(
                text, self.business.currency, translation.get_language() or "en"
            ).amount_minor
        except MoneyError:
            raise forms.ValidationError(_("The amount is not valid.")) from None
        if not 0 <= amount <= MAX_AMOUNT_MINOR:
            raise forms.ValidationError(_("The amount is not valid."))
        return amount
