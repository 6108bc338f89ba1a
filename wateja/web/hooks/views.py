"""Provider callbacks, reached without a login.

Providers call `/hooks/<hook token>/…` (delivery reports, inbound SMS, the opt-out list, USSD;
M-Pesa C2B validation and confirmation under `/hooks/<payment token>/c2b/<secret>/`); the token
in the address names the business. The links customers open from a message
(unsubscribe, tracked link, feedback) are in wateja.web.public.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError, NotFound
from wateja.core.shop_payloads import signature_valid
from wateja.messaging.hook_auth import HookRefused, hook_authenticate
from wateja.messaging.inbound import (
    delivery_report,
    inbound_sms,
    provider_opt_out,
    settings_by_hook,
    ussd_reply,
)
from wateja.messaging.models import MessagingSettings
from wateja.payments.models import PaymentSettings
from wateja.payments.mpesa import (
    ACCEPTED,
    confirmation_receive,
    settings_for_call,
    validation_answer,
)
from wateja.payments.payouts import b2c_result, b2c_timeout
from wateja.shops.models import Platform, ShopConnection
from wateja.shops.services import shop_event_receive

log = logging.getLogger(__name__)


def _row(token: str) -> MessagingSettings:
    try:
        return settings_by_hook(token)
    except NotFound:
        raise Http404 from None


def _callback(
    request: HttpRequest, token: str, handle: Callable[[MessagingSettings], str]
) -> HttpResponse:
    """A provider's POST: 200 with the handler's text, 401 when it does not prove it comes
    from the business's provider, 400 (logged by the service) when the request cannot be
    read, 404 for an unknown address."""
    row = _row(token)
    try:
        hook_authenticate(
            row,
            path=request.path,
            form=request.POST.dict(),
            headers=request.headers,
            remote_ip=request.META.get("REMOTE_ADDR", ""),
        )
    except HookRefused as error:
        log.warning("refused callback for business %s: %s", row.business_id, error.code)
        response = HttpResponse(
            str(error.message), status=401, content_type="text/plain; charset=utf-8"
        )
        response["WWW-Authenticate"] = 'Basic realm="wateja callbacks"'
        return response
    try:
        text = handle(row)
    except DomainError as error:
        return HttpResponseBadRequest(str(error.message), content_type="text/plain; charset=utf-8")
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest, token: str) -> HttpResponse:
    def handle(row: MessagingSettings) -> str:
        inbound_sms(row=row, form=request.POST)
        return "OK"

    return _callback(request, token, handle)


@csrf_exempt
@require_POST
def sms_delivery(request: HttpRequest, token: str) -> HttpResponse:
    def handle(row: MessagingSettings) -> str:
        delivery_report(row=row, form=request.POST)
        return "OK"

    return _callback(request, token, handle)


@csrf_exempt
@require_POST
def sms_opt_out(request: HttpRequest, token: str) -> HttpResponse:
    def handle(row: MessagingSettings) -> str:
        provider_opt_out(row=row, phone=request.POST.get("phoneNumber", ""))
        return "OK"

    return _callback(request, token, handle)


@csrf_exempt
@require_POST
def ussd(request: HttpRequest, token: str) -> HttpResponse:
    return _callback(request, token, lambda row: ussd_reply(row=row, form=request.POST))


def _c2b(
    request: HttpRequest, token: str, secret: str, answer: Callable[..., JsonResponse]
) -> JsonResponse:
    """An M-Pesa C2B callback: 404 for an unknown address, 401 for a wrong secret or a caller
    outside the allow-list, 400 with a code for a body that is not a payment."""
    try:
        row = settings_for_call(token, secret, request.META.get("REMOTE_ADDR", ""))
    except NotFound:
        raise Http404 from None
    except HookRefused as error:
        log.warning("refused M-Pesa callback: %s", error.code)
        return JsonResponse({"code": error.code, "message": str(error.message)}, status=401)
    try:
        return answer(row)
    except DomainError as error:
        return JsonResponse({"code": error.code, "message": str(error.message)}, status=400)


@csrf_exempt
@require_POST
def c2b_validate(request: HttpRequest, token: str, secret: str) -> JsonResponse:
    return _c2b(
        request, token, secret, lambda row: JsonResponse(validation_answer(row, request.body))
    )


@csrf_exempt
@require_POST
def c2b_confirm(request: HttpRequest, token: str, secret: str) -> JsonResponse:
    def answer(row: PaymentSettings) -> JsonResponse:
        confirmation_receive(row, request.body)
        return JsonResponse(ACCEPTED)

    return _c2b(request, token, secret, answer)


@csrf_exempt
@require_POST
def shop_webhook(request: HttpRequest, token: str) -> JsonResponse:
    """A Shopify or WooCommerce webhook: 404 for an unknown address, 401 unless the body is
    signed with the shop's secret, 400 with a code for a body that is not what it says."""
    connection = (
        ShopConnection.objects.select_related("business").filter(token=token, active=True).first()
    )
    if connection is None:
        raise Http404
    woo = connection.platform == Platform.WOOCOMMERCE
    given = request.headers.get("X-WC-Webhook-Signature" if woo else "X-Shopify-Hmac-Sha256", "")
    if woo and not given and request.POST.get("webhook_id"):
        return JsonResponse({"outcome": "ping"})  # WooCommerce's check when a webhook is made
    if not signature_valid(connection.secret, request.body, given):
        log.warning("refused shop webhook for business %s", connection.business_id)
        return JsonResponse(
            {"code": "callback_not_authenticated", "message": _("The signature is not valid.")},
            status=401,
        )
    try:
        payload = json.loads(request.body)
        outcome, new = shop_event_receive(
            connection,
            topic=request.headers.get("X-WC-Webhook-Topic" if woo else "X-Shopify-Topic", ""),
            delivery_id=request.headers.get(
                "X-WC-Webhook-Delivery-ID" if woo else "X-Shopify-Webhook-Id", ""
            ),
            payload=payload,
        )
    except ValueError:
        return JsonResponse(
            {"code": "bad_payload", "message": _("The body is not JSON.")}, status=400
        )
    except DomainError as error:
        return JsonResponse({"code": error.code, "message": str(error.message)}, status=400)
    return JsonResponse({"outcome": outcome, "new": new})


def _b2c(
    request: HttpRequest, token: str, secret: str, handle: Callable[..., object]
) -> JsonResponse:
    """Daraja's B2C result or timeout: authenticated like the C2B addresses; always
    acknowledged once read (an answer naming no payout of ours is logged and dropped)."""
    try:
        row = settings_for_call(token, secret, request.META.get("REMOTE_ADDR", ""))
    except NotFound:
        raise Http404 from None
    except HookRefused as error:
        log.warning("refused M-Pesa B2C callback: %s", error.code)
        return JsonResponse({"code": error.code, "message": str(error.message)}, status=401)
    try:
        body = json.loads(request.body)
        if handle(row.business_id, body) is None:
            log.warning("B2C callback for no known payout (business %s)", row.business_id)
    except ValueError:
        return JsonResponse(
            {"code": "bad_payload", "message": _("The body is not JSON.")}, status=400
        )
    except DomainError as error:
        return JsonResponse({"code": error.code, "message": str(error.message)}, status=400)
    return JsonResponse(ACCEPTED)


@csrf_exempt
@require_POST
def b2c_result_hook(request: HttpRequest, token: str, secret: str) -> JsonResponse:
    return _b2c(request, token, secret, b2c_result)


@csrf_exempt
@require_POST
def b2c_timeout_hook(request: HttpRequest, token: str, secret: str) -> JsonResponse:
    return _b2c(request, token, secret, b2c_timeout)
