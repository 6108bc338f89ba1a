"""Which language to answer in: the person's explicit choice, then Accept-Language, then the
business's default language, then English. Unknown languages fall through to the next step."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

SUPPORTED = [code for code, _name in settings.LANGUAGES]


def supported_variant(code: str | None) -> str | None:
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    if code in SUPPORTED:
        return code
    base = code.split("-")[0]
    return base if base in SUPPORTED else None


def requested_language(request: HttpRequest) -> str | None:
    """The language the request explicitly asks for, if we support it."""
    chosen = supported_variant(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    if chosen:
        return chosen
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    try:
        parsed = parse_accept_lang_header(header)
    except ValueError:
        parsed = ()
    for code, _quality in parsed:
        variant = supported_variant(code)
        if variant:
            return variant
    return None


def activate_for_request(request: HttpRequest, business_default: str | None = None) -> str:
    language = (
        requested_language(request) or supported_variant(business_default) or settings.LANGUAGE_CODE
    )
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language
