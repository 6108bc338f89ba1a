"""The Viber bot's webhook: ``POST /hooks/<hook token>/viber/`` (set by
`channels.viber.viber_set_webhook`).

404 for an unknown address or a business with Viber off; 401 (nothing read) unless
``X-Viber-Content-Signature`` is the body's HMAC with the bot's token; 400 for a body that is
not a Viber event; otherwise 200, empty or with the welcome message for Viber to show.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError, NotFound
from wateja.messaging.channels.base import MalformedCallback
from wateja.messaging.channels.viber import parse_event, signature_valid
from wateja.messaging.inbound import settings_by_hook
from wateja.messaging.models import MessagingSettings, MessengerMode
from wateja.messaging.viber_events import viber_event_receive

log = logging.getLogger(__name__)


def _row(token: str) -> MessagingSettings:
    try:
        row = settings_by_hook(token)
    except NotFound:
        raise Http404 from None
    if row.viber_mode == MessengerMode.OFF:
        raise Http404
    return row


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, token: str) -> HttpResponse:
    row = _row(token)
    signature = request.headers.get("X-Viber-Content-Signature", "")
    if not signature_valid(row.viber_auth_token, request.body, signature):
        log.warning("refused Viber callback for business %s", row.business_id)
        return JsonResponse(
            {"code": "callback_not_authenticated", "message": _("The signature is not valid.")},
            status=401,
        )
    try:
        event = parse_event(request.body)
    except MalformedCallback as error:
        log.warning("malformed Viber callback for business %s: %s", row.business_id, error)
        return JsonResponse(
            {"code": "bad_payload", "message": _("The callback could not be read.")}, status=400
        )
    try:
        answer = viber_event_receive(row=row, event=event)
    except DomainError as error:
        return JsonResponse({"code": error.code, "message": str(error.message)}, status=400)
    if answer is None:
        return HttpResponse(b"", status=200)
    return JsonResponse(answer, json_dumps_params={"ensure_ascii": False})
