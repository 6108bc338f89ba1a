"""The product form: what a shop writes about an item; the catalogue services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wateja.catalog.models import Unit


class ProductForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    name_sw = forms.CharField(label=_("Name in Swahili"), max_length=200, required=False)
    name_hy = forms.CharField(label=_("Name in Armenian"), max_length=200, required=False)
    name_ru = forms.CharField(label=_("Name in Russian"), max_length=200, required=False)
    category = forms.CharField(label=_("Category"), max_length=64, required=False)
    price = forms.CharField(label=_("Price"), max_length=30)
    unit = forms.ChoiceField(label=_("Sold per"), choices=Unit.choices, initial=Unit.PIECE)
    weight_grams = forms.IntegerField(
        label=_("Weight of one piece (g)"), min_value=0, max_value=10_000_000, required=False
    )
    barcode = forms.CharField(label=_("Barcode"), max_length=64, required=False)
    favourite = forms.BooleanField(label=_("On the till's grid"), required=False)
    active = forms.BooleanField(label=_("On sale"), required=False, initial=True)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (CSV or XLSX)"))
