"""Linking a chat app from the pocket card: the card page's "Get your balance and offers in
Telegram" (WhatsApp, Viber) button leads here (`/my/<card link>/chat/<app>/`), which makes a
one-time link code for the card's customer and sends the phone on to the app with the code in
the deep link; the bot's first message then links that chat to the card.

The card link is checked exactly as the card page checks it (an expired or replaced link gets
the same page). Codes are rate-limited per caller address and per card, so a leaked card link
cannot mint codes without end.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wateja.messaging.config import messaging_settings
from wateja.messaging.messengers import deep_link, link_code_issue, link_targets
from wateja.web.public.views import card_page_open, my_card_context
from wateja.web.ratelimit import Limit, RateLimited, client_ip, limit_hit, too_many_response

CHAT_LINKS_PER_IP = Limit("chat-link-ip", 20, 10 * 60)
CHAT_LINKS_PER_CARD = Limit("chat-link-card", 10, 60 * 60)


class _ChatRedirect(HttpResponseRedirect):
    allowed_schemes = ["https", "viber"]  # t.me and wa.me links; viber://pa?chatURI=…


@never_cache  # the answer carries a one-time code
@require_GET
def chat_link(request: HttpRequest, token: str, channel: str) -> HttpResponse:
    """302 to the app's deep link carrying a fresh link code; 404 for an app the business
    does not offer on cards; 429 (the card page saying so) past the rate limits."""
    card = card_page_open(request, token)
    if isinstance(card, HttpResponse):
        return card
    row = messaging_settings(card.business)
    if channel not in link_targets(row):
        raise Http404
    try:
        limit_hit(CHAT_LINKS_PER_IP, client_ip(request) or "unknown")
        limit_hit(CHAT_LINKS_PER_CARD, str(card.pk))
    except RateLimited as error:
        return too_many_response(
            request, error, "web/public/my_card.html", my_card_context(card, token)
        )
    code = link_code_issue(card.customer, channel)
    return _ChatRedirect(deep_link(row, channel, code.code))
