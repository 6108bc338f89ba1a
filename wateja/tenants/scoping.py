"""Per-business scoping: every business-owned model inherits `BusinessOwned`.

Queries go through `Model.objects.for_business(business)` and single rows through
`get_owned(Model, business, pk=...)`, which answers NotFound for another business's rows, so a
wrong id and a foreign id look the same to the caller. With Citus every such table is
distributed by `business_id`, so unique keys on these models must include `business`, and a
foreign key to another business-owned model is declared `db_constraint=False` (its migration
adds the composite key instead: `wateja.tenants.distribution`). The `business` column has no
index of its own: each model carries a unique key or index that starts with it (checked by
tests/scale/test_citus_schema.py), which serves the same queries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from wateja.core.errors import NotFound
from wateja.tenants.row_by_id import owned_row

if TYPE_CHECKING:
    from wateja.tenants.models import Business


class BusinessScopedQuerySet(models.QuerySet):
    def for_business(self, business: Business | int) -> Self:
        business_id = business if isinstance(business, int) else business.pk
        return self.filter(business_id=business_id)


class BusinessOwned(models.Model):
    business = models.ForeignKey(
        "tenants.Business", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    objects = BusinessScopedQuerySet.as_manager()

    class Meta:
        abstract = True


def tenant_key(table: str) -> models.UniqueConstraint:
    """UNIQUE (business_id, id) on `table`: what composite foreign keys from other
    business-owned tables point at, and the primary key of the table once Citus distributes it
    (the id alone stays unique in practice: it comes from one sequence)."""
    return models.UniqueConstraint(fields=["business", "id"], name=f"{table}_tenant_key")


class OwnedOneToOneField(models.OneToOneField):
    """A one-to-one link between business-owned rows whose uniqueness is a
    UniqueConstraint(business, <field>) on the model (Citus needs business_id in every unique
    key) rather than a unique column. Since the composite foreign key ties the business of both
    rows, the rule is the same. Reverse access (`order.checkout`) works as before."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("db_constraint", False)
        super().__init__(*args, **kwargs)
        self._unique = False


M = TypeVar("M", bound=BusinessOwned)


def get_owned(model: type[M], business: Business | int, **lookup: Any) -> M:
    """The row of `model` matching `lookup` inside `business`, or NotFound."""
    pk = lookup.get("pk", lookup.get("id")) if len(lookup) == 1 else None
    try:
        if type(pk) is int:
            business_id = business if isinstance(business, int) else business.pk
            found = owned_row(model, business_id, pk)
            if found is None:
                raise model.DoesNotExist
            return found
        return model.objects.for_business(business).get(**lookup)  # type: ignore[no-any-return]
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFound(
            _("%(object)s not found.")
            % {"object": str(model._meta.verbose_name or model.__name__).capitalize()},
            details={"object": model._meta.model_name},
        ) from None
