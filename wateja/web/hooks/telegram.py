"""The business's Telegram bot webhook (`/hooks/<hook token>/telegram/`), reached without a
login: Telegram posts each update here as JSON, with the secret given to setWebhook in
X-Telegram-Bot-Api-Secret-Token.

404 for an unknown address or Telegram switched off; 401 (`callback_not_authenticated`,
nothing read) without the right secret; 400 (`bad_payload`) for a body that is not an update;
200 for every update read, acted on or not, so Telegram does not send it again. A customer's
text goes to `messengers.chat_message` (which links a ``/start <code>`` chat to the card and
answers a repeated update once); blocking the bot unlinks the chat.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from wateja.core.errors import NotFound
from wateja.messaging.channels.base import MalformedCallback
from wateja.messaging.channels.telegram import (
    SECRET_HEADER,
    ChatLeft,
    ChatText,
    secret_valid,
    update_parse,
)
from wateja.messaging.inbound import settings_by_hook
from wateja.messaging.messengers import chat_message, contact_unlink
from wateja.messaging.models import MessengerMode, SendChannel

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, token: str) -> JsonResponse:
    try:
        row = settings_by_hook(token)
    except NotFound:
        raise Http404 from None
    if row.telegram_mode == MessengerMode.OFF:
        raise Http404
    if not secret_valid(row.telegram_secret, request.headers.get(SECRET_HEADER, "")):
        log.warning("refused Telegram update for business %s: wrong secret", row.business_id)
        return JsonResponse(
            {"code": "callback_not_authenticated", "message": _("The secret token is not valid.")},
            status=401,
        )
    try:
        update = update_parse(request.body)
    except MalformedCallback as error:
        log.warning("malformed Telegram update for business %s: %s", row.business_id, error)
        return JsonResponse(
            {"code": "bad_payload", "message": _("The body is not a Telegram update.")},
            status=400,
        )
    if isinstance(update, ChatText):
        chat_message(
            business=row.business,
            channel=SendChannel.TELEGRAM,
            external_id=update.chat_id,
            text=update.text,
            display_name=update.first_name,
            provider_id=str(update.update_id),
        )
        return JsonResponse({"outcome": "read"})
    if isinstance(update, ChatLeft):
        contact_unlink(
            business=row.business, channel=SendChannel.TELEGRAM, external_id=update.chat_id
        )
        return JsonResponse({"outcome": "unlinked"})
    return JsonResponse({"outcome": "ignored"})
