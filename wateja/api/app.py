"""The NinjaAPI instance: /api/v1, bearer auth by default, our error format, all routers."""

from __future__ import annotations

from ninja import NinjaAPI

from wateja import __version__
from wateja.api.auth import ApiKeyAuth
from wateja.api.errors import install_error_handlers
from wateja.api.routers import (
    analytics,
    business,
    checkout,
    customers,
    imports,
    messaging,
    system,
    wallet,
)

api = NinjaAPI(
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
api.add_router("", customers.router)
api.add_router("", wallet.router)
api.add_router("", checkout.router)
api.add_router("", imports.router)
api.add_router("", messaging.router)
api.add_router("", analytics.router)
