"""Products and their categories, per business. A product is found at the till by its
barcode or its SKU, whatever the case it is typed in (`sku_key`), and named in each of the
business's languages."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wateja.tenants.scoping import BusinessOwned, tenant_key


class Unit(models.TextChoices):
    PIECE = "piece", _("piece")
    KG = "kg", _("kg")
    G = "g", _("g")


class Category(BusinessOwned):
    name = models.CharField(_("name"), max_length=64)
    key = models.CharField(max_length=64, editable=False)  # casefolded name: one per business
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name", "id"]
        constraints = [
            tenant_key("catalog_category"),
            models.UniqueConstraint(fields=["business", "key"], name="category_once_per_business"),
        ]

    def __str__(self) -> str:
        return self.name


class Product(BusinessOwned):
    sku = models.CharField(_("SKU"), max_length=64)
    sku_key = models.CharField(max_length=64, editable=False)  # casefolded SKU
    barcode = models.CharField(_("barcode"), max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=200)
    names = models.JSONField(_("name in other languages"), default=dict, blank=True)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
        db_constraint=False,
    )
    price_minor = models.BigIntegerField(_("price"))
    unit = models.CharField(_("unit"), max_length=5, choices=Unit.choices, default=Unit.PIECE)
    by_weight = models.BooleanField(_("sold by weight"), default=False)
    weight_grams = models.PositiveIntegerField(
        _("weight of one piece (g)"), default=0, help_text=_("for offers by weight")
    )
    favourite = models.BooleanField(_("on the till's grid"), default=False)
    active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        constraints = [
            tenant_key("catalog_product"),
            models.UniqueConstraint(fields=["business", "sku_key"], name="product_sku_once"),
            models.UniqueConstraint(
                fields=["business", "barcode"],
                condition=~Q(barcode=""),
                name="product_barcode_once",
            ),
            models.CheckConstraint(condition=Q(price_minor__gte=0), name="product_price_positive"),
        ]
        indexes = [models.Index(fields=["business", "active", "name"], name="product_listing")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    def name_in(self, language: str) -> str:
        """The product's name in `language`, or its own name."""
        found = self.names.get(language) if isinstance(self.names, dict) else None
        return str(found) if found else self.name
