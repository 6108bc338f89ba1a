"""The pages customers open themselves, without a login, on their own phone: enrolment
(`/join/<shop>/`), their card page (`/my/<signed link>/`), and the links inside a message:
`/u/<token>/` (unsubscribe, also RFC 8058 one-click POST from the mailbox provider),
`/r/<token>/` (tracked link) and `/f/<token>/` (one-question feedback). Each page speaks the
customer's language."""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from wateja.core.contacts import format_phone
from wateja.core.errors import NotFound, ValidationFailed
from wateja.customers.enrolment import CodeExpired, CodeWrong, code_expired, enrolment_phone
from wateja.customers.links import card_page_url
from wateja.customers.models import Channel
from wateja.customers.services import consent_text
from wateja.messaging.composing import customer_language
from wateja.messaging.feedback import feedback_give, feedback_scale_for, scale_range
from wateja.messaging.inbound import link_click, message_by_token, unsubscribe
from wateja.messaging.joining import join_confirm, join_submit, verification_applies
from wateja.tenants.language import activate_for_request
from wateja.tenants.models import Business
from wateja.web.customers.forms import EnrolForm, enrol_consents
from wateja.web.errors import apply_to_form

# the card page lives in card_views; these names stay importable from here (chats.py uses them)
from wateja.web.public.card_views import card_page_open as card_page_open
from wateja.web.public.card_views import my_card as my_card
from wateja.web.public.card_views import my_card_context as my_card_context
from wateja.web.ratelimit import Limit, RateLimited, client_ip, limit_hit, too_many_response

JOIN_PER_IP = Limit("join-ip", 10, 10 * 60)  # every POST: the form and the code
JOIN_PER_CONTACT = Limit("join-contact", 3, 60 * 60)  # forms sent with one phone or e-mail
JOIN_PER_BUSINESS = Limit("join-business", 200, 60 * 60)  # forms sent to one business
PENDING_SALT = "wateja.join-pending"


def join(request: HttpRequest, slug: str) -> HttpResponse:
    """Public enrolment page: mobile-first, no login, the customer's own consent. The form,
    then (when the phone is checked) the code texted to it, then the welcome. A number that
    is already a member's gets the same answer as a new one."""
    business = Business.objects.filter(slug=slug).first()
    if business is None:
        raise Http404
    activate_for_request(request, business.default_language)
    page = {
        "join_business": business,
        "sms_text": consent_text(Channel.SMS, business),
        "email_text": consent_text(Channel.EMAIL, business),
        "phone_required": verification_applies(business),
    }
    if request.method != "POST":
        return _join_page(request, page, step="form", form=EnrolForm())
    try:
        limit_hit(JOIN_PER_IP, client_ip(request) or "unknown")
        if request.POST.get("step") == "code":
            return _join_code(request, business, page)
        limit_hit(JOIN_PER_BUSINESS, str(business.pk))
        return _join_form(request, business, page)
    except RateLimited as error:
        return too_many_response(request, error, "web/public/join_too_many.html", page)


def _referral_code(request: HttpRequest) -> str:
    """The friend's code in a shared link (/join/<shop>/?ref=CODE); the forms post back to
    the same address, so it rides along to the last step."""
    return request.GET.get("ref", "").strip()[:40]


def _join_page(request: HttpRequest, page: dict[str, Any], **context: Any) -> HttpResponse:
    return render(request, "web/public/join.html", {**page, **context})


def _join_form(request: HttpRequest, business: Business, page: dict[str, Any]) -> HttpResponse:
    form = EnrolForm(request.POST)
    if not form.is_valid():
        return _join_page(request, page, step="form", form=form)
    data = dict(form.cleaned_data)
    consents = enrol_consents(data)
    language = translation.get_language() or business.default_language
    try:
        phone = enrolment_phone(business, data["phone"], language=language) if data["phone"] else ""
        contact = phone or data["email"].strip().lower()
        if contact:
            limit_hit(JOIN_PER_CONTACT, f"{business.pk}:{contact}")
        answer = join_submit(
            business=business,
            fields=data,
            consents=consents,
            language=language,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            referral=_referral_code(request),
        )
    except ValidationFailed as error:
        apply_to_form(form, error)
        return _join_page(request, page, step="form", form=form)
    if answer.step == "code" and answer.pending is not None:
        return _code_page(request, page, business, answer.pending.pk, answer.phone)
    return _join_page(request, page, step="done", answer=answer)


def _code_page(
    request: HttpRequest,
    page: dict[str, Any],
    business: Business,
    pending_id: int,
    phone: str,
    error: str = "",
) -> HttpResponse:
    token = signing.dumps({"b": business.pk, "p": pending_id, "t": phone}, salt=PENDING_SALT)
    return _join_page(
        request, page, step="code", pending=token, phone=format_phone(phone), code_error=error
    )


def _join_code(request: HttpRequest, business: Business, page: dict[str, Any]) -> HttpResponse:
    try:
        ticket = signing.loads(request.POST.get("pending", ""), salt=PENDING_SALT)
        if ticket["b"] != business.pk:
            raise ValueError
        pending_id, phone = int(ticket["p"]), str(ticket["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return _join_page(request, page, step="expired", error=str(code_expired().message))
    try:
        answer = join_confirm(
            business=business,
            pending_id=pending_id,
            code=request.POST.get("code", ""),
            referral=_referral_code(request),
        )
    except CodeWrong as error:
        return _code_page(request, page, business, pending_id, phone, str(error.message))
    except CodeExpired as error:
        return _join_page(request, page, step="expired", error=str(error.message))
    card_url = card_page_url(answer.card) if answer.card else ""
    return _join_page(request, page, step="done", answer=answer, card_page_url=card_url)


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
        "web/public/unsubscribe.html",
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
    scale = feedback_scale_for(message)
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
        "web/public/feedback.html",
        {
            "message": message,
            "page_business": message.business,
            "done": done,
            "error": error,
            "scale": scale,
            "scores": list(scale_range(scale)),
        },
    )
