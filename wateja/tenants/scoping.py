"""Per-business scoping: every business-owned model inherits `BusinessOwned`.

Queries go through `Model.objects.for_business(business)` and single rows through
`get_owned(Model, business, pk=...)`, which answers NotFound for another business's rows, so a
wrong id and a foreign id look the same to the caller. With Citus every such table is
distributed by `business_id`, so unique keys on these models must include `business`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from wateja.core.errors import NotFound

if TYPE_CHECKING:
    from wateja.tenants.models import Business


class BusinessScopedQuerySet(models.QuerySet):
    def for_business(self, business: Business | int) -> Self:
        business_id = business if isinstance(business, int) else business.pk
        return self.filter(business_id=business_id)


class BusinessOwned(models.Model):
    business = models.ForeignKey("tenants.Business", on_delete=models.CASCADE, related_name="+")

    objects = BusinessScopedQuerySet.as_manager()

    class Meta:
        abstract = True


M = TypeVar("M", bound=BusinessOwned)


def get_owned(model: type[M], business: Business | int, **lookup: Any) -> M:
    """The row of `model` matching `lookup` inside `business`, or NotFound."""
    try:
        return model.objects.for_business(business).get(**lookup)  # type: ignore[no-any-return]
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFound(
            _("%(object)s not found.")
            % {"object": str(model._meta.verbose_name or model.__name__).capitalize()},
            details={"object": model._meta.model_name},
        ) from None
