"""WhatsApp Cloud API webhook, ``/hooks/<hook token>/whatsapp/`` (the address the owner enters
in Meta's app dashboard).

GET is Meta's subscription check: 200 with ``hub.challenge`` as plain text for the business's
verify token, else 403. POST carries customers' messages and message statuses: 401 unless
signed with the business's app secret, 400 for a body that is not a WhatsApp webhook, else
200 (Meta resends anything else). 404 for an unknown address or a business with WhatsApp off.
What the calls do is in `wateja.messaging.whatsapp_events`.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from wateja.core.errors import DomainError, NotFound
from wateja.messaging.hook_auth import HookRefused
from wateja.messaging.whatsapp_events import (
    SubscriptionRefused,
    subscription_answer,
    webhook_receive,
    whatsapp_settings,
)

log = logging.getLogger(__name__)


def _error(error: DomainError, status: int) -> JsonResponse:
    return JsonResponse({"code": error.code, "message": str(error.message)}, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, token: str) -> HttpResponse:
    try:
        row = whatsapp_settings(token)
    except NotFound:
        raise Http404 from None
    if request.method == "GET":
        try:
            challenge = subscription_answer(
                row,
                mode=request.GET.get("hub.mode", ""),
                verify_token=request.GET.get("hub.verify_token", ""),
                challenge=request.GET.get("hub.challenge", ""),
            )
        except SubscriptionRefused as error:
            log.warning("refused WhatsApp subscription check for business %s", row.business_id)
            return _error(error, 403)
        return HttpResponse(challenge, content_type="text/plain; charset=utf-8")
    try:
        counts = webhook_receive(
            row=row, body=request.body, signature=request.headers.get("X-Hub-Signature-256", "")
        )
    except HookRefused as error:
        return _error(error, 401)
    except DomainError as error:
        return _error(error, 400)
    return JsonResponse(dict(counts))
