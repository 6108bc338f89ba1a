"""The pocket card: the customer's own page at `/my/<signed link>/`, no login (the signed link
is the key). It shows the card's QR code and barcode, each balance explained, progress to the
next reward or tier, the offers open to them, their history in plain words, their invitation
for friends (code, link, QR, share buttons) and their message choices, in their language with
a switch. It installs on a phone (a web app manifest per card, icons) and keeps showing
offline (a service worker at `/my/sw.js`, scope `/my/`, network first with the last copy as
fallback). `/my/lost/<shop>/` sends a fresh link to a member's phone by SMS, answering the
same whoever types the number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from wateja.customers.card_prefs import card_preferences, card_preferences_save
from wateja.customers.links import card_link_open
from wateja.customers.models import Card, CardStatus
from wateja.customers.services import ConsentProof
from wateja.messaging.config import messaging_settings
from wateja.messaging.lost_link import card_link_lost, lost_link_phone
from wateja.messaging.messengers import NAMES as CHAT_APP_NAMES
from wateja.messaging.messengers import link_targets, linked_channels
from wateja.orders.progress import offers_open, stamp_progress, tier_progress
from wateja.promotions.invites import invite_share
from wateja.promotions.services import referral_code_for
from wateja.tenants.language import activate_for_request
from wateja.tenants.models import Business
from wateja.wallet.card import balance_explained, history_plain
from wateja.web.ratelimit import Limit, RateLimited, client_ip, limit_hit, too_many_response

LOST_PER_IP = Limit("lost-link-ip", 5, 10 * 60)
LOST_PER_PHONE = Limit("lost-link-phone", 3, 60 * 60)
PREFS_PER_CARD = Limit("card-prefs", 20, 60 * 60)
SERVICE_WORKER = Path(__file__).resolve().parent.parent / "static" / "wateja" / "card-sw.js"
THEME_COLOR = "#0b7a5a"


def card_page_open(request: HttpRequest, token: str) -> Card | HttpResponse:
    """The card a card page link opens, with the customer's language active; or the page an
    expired or replaced link gets (410), which shows nothing of theirs. 404 for a link that
    was never ours, an erased customer or a card no longer in use."""
    link = card_link_open(token)
    if link is None:
        raise Http404
    card = link.card
    customer = card.customer
    activate_for_request(request, customer.language or card.business.default_language)
    if customer.erased_at is not None or card.status != CardStatus.ACTIVE:
        raise Http404
    if not link.works:
        return render(
            request, "web/public/link_expired.html", {"page_business": card.business}, status=410
        )
    return card


def my_card_context(card: Card, token: str) -> dict[str, Any]:
    """What the card page shows (see the module's docstring)."""
    customer = card.customer
    linked = linked_channels(customer)
    chats = [
        {"channel": channel, "name": CHAT_APP_NAMES.get(channel, channel),
         "linked": channel in linked}
        for channel in link_targets(messaging_settings(card.business))
    ]  # fmt: skip
    return {
        "card": card,
        "customer": customer,
        "card_business": card.business,
        "card_token": token,
        "chats": chats,
        "invite": invite_share(customer),
        "referral_code": referral_code_for(customer).code,
        "balance_lines": balance_explained(customer),
        "stamps": stamp_progress(customer),
        "tier": tier_progress(customer),
        "offers": offers_open(customer),
        "history": history_plain(customer, limit=30),
        "preferences": card_preferences(customer, linked),
        "languages": _languages(),
    }


def _languages() -> list[tuple[str, str]]:
    names = {"en": "English", "sw": "Kiswahili", "hy": "Հայերեն", "ru": "Русский"}
    return [(code, names.get(code, str(name))) for code, name in settings.LANGUAGES]


@never_cache
@require_safe
def my_card(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's own page. An expired or replaced link says so, in the customer's
    language, and shows nothing of theirs."""
    card = card_page_open(request, token)
    if isinstance(card, HttpResponse):
        return card
    context = my_card_context(card, token)
    context["saved"] = request.GET.get("saved") == "1"
    return render(request, "web/public/my_card.html", context)


@require_POST
def my_card_preferences(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's message choices, saved from their card; back to the card."""
    card = card_page_open(request, token)
    if isinstance(card, HttpResponse):
        return card
    try:
        limit_hit(PREFS_PER_CARD, str(card.pk))
    except RateLimited as error:
        return too_many_response(
            request, error, "web/public/my_card.html", my_card_context(card, token)
        )
    customer = card.customer
    card_preferences_save(
        customer=customer,
        wanted=request.POST.getlist("channel"),
        linked=linked_channels(customer),
        proof=ConsentProof(
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            language=translation.get_language() or "",
            verification={"method": "card_link"},
        ),
    )
    return HttpResponseRedirect(reverse("web:my_card", args=[token]) + "?saved=1#preferences")


@require_GET
def my_card_manifest(request: HttpRequest, token: str) -> HttpResponse:
    """The web app manifest of one card: installed, it opens this card's page."""
    link = card_link_open(token)
    if link is None or not link.works or link.card.status != CardStatus.ACTIVE:
        raise Http404
    card = link.card
    activate_for_request(request, card.customer.language or card.business.default_language)
    page = reverse("web:my_card", args=[token])
    name = card.business.name
    manifest = {
        "name": name,
        "short_name": name[:12],
        "description": _("My loyalty card at %(shop)s") % {"shop": name},
        "lang": translation.get_language(),
        "start_url": page,
        "scope": page,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": [_icon(size) for size in (192, 512)],
    }
    response = HttpResponse(
        json.dumps(manifest, ensure_ascii=False), content_type="application/manifest+json"
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _icon(size: int) -> dict[str, str]:
    return {
        "src": static(f"wateja/card-icon-{size}.png"),
        "sizes": f"{size}x{size}",
        "type": "image/png",
        "purpose": "any maskable",
    }


@require_GET
def card_service_worker(request: HttpRequest) -> HttpResponse:
    """The pocket card's service worker, served under /my/ so that its scope covers every
    card page."""
    response = HttpResponse(
        SERVICE_WORKER.read_text(encoding="utf-8"), content_type="application/javascript"
    )
    response["Service-Worker-Allowed"] = "/my/"
    response["Cache-Control"] = "no-cache"
    return response


@require_http_methods(["GET", "POST"])
def lost_link(request: HttpRequest, slug: str) -> HttpResponse:
    """Lost your card link? The phone number in, a fresh link out by SMS when it is a
    member's; the same answer for every number. Rate-limited per address and per number."""
    business = Business.objects.filter(slug=slug).first()
    if business is None:
        raise Http404
    activate_for_request(request, business.default_language)
    page: dict[str, Any] = {"page_business": business, "languages": _languages()}
    if request.method != "POST":
        return render(request, "web/public/lost_link.html", {**page, "step": "form"})
    typed = request.POST.get("phone", "").strip()[:40]
    try:
        limit_hit(LOST_PER_IP, client_ip(request) or "unknown")
        phone = lost_link_phone(business, typed)
        if not phone:
            return render(
                request,
                "web/public/lost_link.html",
                {
                    **page,
                    "step": "form",
                    "phone": typed,
                    "phone_error": _("This is not a phone number: check it and try again."),
                },
            )
        limit_hit(LOST_PER_PHONE, f"{business.pk}:{phone}")
    except RateLimited as error:
        return too_many_response(request, error, "web/public/lost_link.html", {**page})
    card_link_lost(business=business, phone=phone)
    return render(request, "web/public/lost_link.html", {**page, "step": "sent"})
