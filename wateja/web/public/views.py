"""The pages customers open themselves, without a login, on their own phone: enrolment
(`/join/<shop>/`), their card page (`/my/<signed link>/`), and the links inside a message:
`/u/<token>/` (unsubscribe, also RFC 8058 one-click POST from the mailbox provider),
`/r/<token>/` (tracked link) and `/f/<token>/` (one-question feedback). Each page speaks the
customer's language."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from wateja.core.errors import NotFound, ValidationFailed
from wateja.customers.links import card_link_open, card_page_url
from wateja.customers.models import CardStatus, Channel, Source
from wateja.customers.services import consent_text, customer_enrol
from wateja.messaging.automations import welcome_now
from wateja.messaging.composing import customer_language
from wateja.messaging.inbound import feedback_give, link_click, message_by_token, unsubscribe
from wateja.tenants.language import activate_for_request
from wateja.tenants.models import Business
from wateja.web.customers.forms import EnrolForm, enrol_consents
from wateja.web.customers.wallet_views import wallet_context
from wateja.web.errors import apply_to_form


def join(request: HttpRequest, slug: str) -> HttpResponse:
    """Public enrolment page: mobile-first, no login, the customer's own consent."""
    business = Business.objects.filter(slug=slug).first()
    if business is None:
        raise Http404
    activate_for_request(request, business.default_language)
    form = EnrolForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        consents = enrol_consents(data)
        data["language"] = translation.get_language() or business.default_language
        try:
            customer, created = customer_enrol(
                business=business, consents=consents, source=Source.WEB, **data
            )
        except ValidationFailed as error:
            apply_to_form(form, error)
        else:
            if created:
                welcome_now(business=business)
            card = customer.cards.filter(status="active").first()
            result = {
                "created": created,
                "card": card if created else None,
                "card_page_url": card_page_url(card) if created and card else "",
            }
    return render(
        request,
        "web/public/join.html",
        {
            "join_business": business,
            "form": form,
            "result": result,
            "sms_text": consent_text(Channel.SMS, business),
            "email_text": consent_text(Channel.EMAIL, business),
        },
    )


def my_card(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's own page: no login, the signed link is the key. An expired or replaced
    link says so, in the customer's language, and shows nothing of theirs."""
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
    return render(
        request,
        "web/public/my_card.html",
        {
            "card": card,
            "customer": customer,
            "card_business": card.business,
            **wallet_context(customer),
        },
    )


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
            "stars": range(1, 6),
        },
    )
