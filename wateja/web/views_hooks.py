"""Pages and callbacks reached without a login.

Providers call `/hooks/<hook token>/…` (delivery reports, inbound SMS, the opt-out list, USSD);
the token in the address names the business. Customers open `/u/<token>/` (unsubscribe, also
RFC 8058 one-click POST from the mailbox provider), `/r/<token>/` (tracked link) and
`/f/<token>/` (one-question feedback) from a message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from wateja.core.errors import DomainError, NotFound, ValidationFailed
from wateja.messaging.composing import customer_language
from wateja.messaging.inbound import (
    delivery_report,
    feedback_give,
    inbound_sms,
    link_click,
    message_by_token,
    provider_opt_out,
    settings_by_hook,
    unsubscribe,
    ussd_reply,
)
from wateja.messaging.models import MessagingSettings
from wateja.tenants.language import activate_for_request

log = logging.getLogger(__name__)


def _row(token: str) -> MessagingSettings:
    try:
        return settings_by_hook(token)
    except NotFound:
        raise Http404 from None


def _callback(token: str, handle: Callable[[MessagingSettings], str]) -> HttpResponse:
    """A provider's POST: 200 with the handler's text, 400 (logged by the service) when the
    request cannot be read, 404 for an unknown address."""
    try:
        text = handle(_row(token))
    except DomainError as error:
        return HttpResponseBadRequest(str(error.message), content_type="text/plain; charset=utf-8")
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest, token: str) -> HttpResponse:
    def handle(row: MessagingSettings) -> str:
        inbound_sms(row=row, form=request.POST)
        return "OK"

    return _callback(token, handle)


@csrf_exempt
@require_POST
def sms_delivery(request: HttpRequest, token: str) -> HttpResponse:
    def handle(row: MessagingSettings) -> str:
        delivery_report(row=row, form=request.POST)
        return "OK"

    return _callback(token, handle)


@csrf_exempt
@require_POST
def sms_opt_out(request: HttpRequest, token: str) -> HttpResponse:
    def handle(row: MessagingSettings) -> str:
        provider_opt_out(row=row, phone=request.POST.get("phoneNumber", ""))
        return "OK"

    return _callback(token, handle)


@csrf_exempt
@require_POST
def ussd(request: HttpRequest, token: str) -> HttpResponse:
    return _callback(token, lambda row: ussd_reply(row=row, form=request.POST))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a one-button page (link scanners must not unsubscribe anyone); POST
    unsubscribes: the button, or the mailbox provider's one-click POST (no cookies, no
    login, body `List-Unsubscribe=One-Click`)."""
    try:
        message = message_by_token(token)
    except NotFound:
        raise Http404 from None
    activate_for_request(request, customer_language(message.customer, message.business))
    done = False
    if request.method == "POST":
        message = unsubscribe(token=token)
        done = True
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse("OK", content_type="text/plain")
    return render(
        request,
        "web/messaging/unsubscribe.html",
        {"message": message, "page_business": message.business, "done": done},
    )


def link_redirect(request: HttpRequest, token: str) -> HttpResponse:
    try:
        target = link_click(token=token)
    except NotFound:
        raise Http404 from None
    return HttpResponseRedirect(target)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def feedback_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        message = message_by_token(token)
    except NotFound:
        raise Http404 from None
    activate_for_request(request, customer_language(message.customer, message.business))
    error = ""
    done = False
    if request.method == "POST":
        try:
            feedback_give(
                token=token,
                rating=int(request.POST.get("rating", "0") or 0),
                comment=request.POST.get("comment", ""),
            )
            done = True
        except (ValidationFailed, ValueError) as problem:
            error = str(getattr(problem, "message", problem))
    return render(
        request,
        "web/messaging/feedback.html",
        {
            "message": message,
            "page_business": message.business,
            "done": done,
            "error": error,
            "stars": range(1, 6),
        },
    )
