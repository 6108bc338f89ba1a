"""Bearer API-key authentication and role checks for API operations."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from wateja.core.errors import Forbidden
from wateja.tenants.language import activate_for_request
from wateja.tenants.models import ApiKey, Business
from wateja.tenants.roles import role_at_least
from wateja.tenants.services import apikey_authenticate


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        key = apikey_authenticate(token=token)
        request.business = key.business  # type: ignore[attr-defined]
        activate_for_request(request, key.business.default_language)
        return key


def current_business(request: HttpRequest) -> Business:
    return request.auth.business  # type: ignore[attr-defined,no-any-return]


def require_role(request: HttpRequest, minimum: str) -> None:
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    if not role_at_least(key.role, minimum):
        raise Forbidden(
            _("This needs the %(role)s role; this key has %(current)s.")
            % {"role": minimum, "current": key.role},
            code="role_required",
            details={"required": minimum, "current": key.role},
        )
