"""The NinjaAPI instance: /api/v1, bearer auth by default, our error format, all routers."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.errors import ValidationError, ValidationErrorContext

from wateja import __version__
from wateja.api.auth import ApiKeyAuth
from wateja.api.errors import install_error_handlers
from wateja.api.routers import (
    analytics,
    business,
    catalog,
    challenges,
    checkout,
    customers,
    events,
    feedback,
    imports,
    messaging,
    payments,
    staff,
    system,
    wallet,
    webhooks,
)


class WatejaAPI(NinjaAPI):
    """NinjaAPI that remembers which refused values were null, so the error can say that
    null is not allowed there instead of "wrong type" (ninja drops the input itself)."""

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext]
    ) -> ValidationError:
        nulls = [
            error.get("input", "") is None
            for context in error_contexts
            for error in context.pydantic_validation_error.errors(include_url=False)
        ]
        error = super().validation_error_from_error_contexts(error_contexts)
        if len(error.errors) == len(nulls):  # the same errors, in the same order
            for item, was_null in zip(error.errors, nulls, strict=True):
                if was_null:
                    item["input_was_null"] = True
        return error


api = WatejaAPI(
    title="Wateja API",
    version="1",
    description=(
        "Customer base, loyalty and retention. Authenticate with `Authorization: Bearer wj_…`. "
        "Errors: `{code, message, details}`; messages follow `Accept-Language` (en, sw, hy, ru)."
    ),
    auth=ApiKeyAuth(),
    urls_namespace="api",
    docs_url="/docs",  # also served at /api/docs
    openapi_url="/openapi.json",
)
api.openapi_extra = {"info": {"x-wateja-version": __version__}}
install_error_handlers(api)
api.add_router("", system.router)
api.add_router("", business.router)
api.add_router("", staff.router)
api.add_router("", customers.router)
api.add_router("", wallet.router)
api.add_router("", catalog.router)
api.add_router("", checkout.router)
api.add_router("", challenges.router)
api.add_router("", events.router)
api.add_router("", imports.router)
api.add_router("", messaging.router)
api.add_router("", feedback.router)
api.add_router("", payments.router)
api.add_router("", webhooks.router)
api.add_router("", analytics.router)
