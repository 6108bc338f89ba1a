"""Webhook screens for the owner: the business's endpoints and a form to add one; each
endpoint's page with its settings, signing secret, a test event, a new secret (confirmed),
removal (confirmed) and its delivery log, where any delivery can be sent again."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError
from wateja.tenants.models import Business
from wateja.tenants.roles import Role
from wateja.web.confirm import confirm_first
from wateja.web.errors import apply_to_form
from wateja.web.permissions import owned_or_404, staff_required
from wateja.web.webhooks.forms import EndpointForm
from wateja.webhooks.models import Delivery, Endpoint, EventType
from wateja.webhooks.services import (
    delivery_replay,
    endpoint_delete,
    endpoint_save,
    endpoint_secret_rotate,
    endpoint_test,
)

LOG_SHOWN = 50


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _endpoint(request: HttpRequest, endpoint_id: int) -> Endpoint:
    return owned_or_404(Endpoint, request, pk=endpoint_id)


@staff_required(Role.OWNER)
def endpoints(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = endpoint_save(business=business, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as error:
            apply_to_form(form, error)
        else:
            messages.success(request, _("Address added: events go to it from now on."))
            return redirect("web:webhook", endpoint_id=endpoint.pk)
    return render(
        request,
        "web/webhooks/list.html",
        {"endpoints": Endpoint.objects.for_business(business), "form": form},
    )


@staff_required(Role.OWNER)
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    form = EndpointForm(request.POST or None, initial=EndpointForm.initial_for(endpoint))
    if request.method == "POST" and form.is_valid():
        try:
            endpoint_save(
                business=_business(request),
                endpoint=endpoint,
                actor=request.user,  # type: ignore[arg-type]
                **form.cleaned_data,
            )
        except DomainError as error:
            apply_to_form(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("web:webhook", endpoint_id=endpoint.pk)
    log = Delivery.objects.for_business(_business(request)).filter(endpoint=endpoint)[:LOG_SHOWN]
    return render(
        request,
        "web/webhooks/detail.html",
        {
            "endpoint": endpoint,
            "form": form,
            "log": log,
            "event_labels": dict(EventType.choices),
            "event_types": EventType.choices,
        },
    )


@require_POST
@staff_required(Role.OWNER)
def send_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    try:
        delivery = endpoint_test(
            endpoint=endpoint,
            event_type=request.POST.get("event_type", EventType.ORDER_COMMITTED),
            actor=request.user,  # type: ignore[arg-type]
        )
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        if delivery.status == "delivered":
            messages.success(request, _("The test event was delivered."))
        else:
            messages.error(
                request,
                _("The test event was not delivered: %(why)s")
                % {"why": delivery.last_error or delivery.last_status_code},
            )
    return redirect("web:webhook", endpoint_id=endpoint.pk)


@require_POST
@staff_required(Role.OWNER)
def rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    asking = confirm_first(
        request,
        question=_("Make a new signing secret?"),
        consequence=_(
            "Events are signed with both secrets for 24 hours; give the new one to the "
            "receiving system before then."
        ),
        yes=_("Yes, a new secret"),
        cancel_url=reverse("web:webhook", kwargs={"endpoint_id": endpoint.pk}),
        danger=False,
    )
    if asking is not None:
        return asking
    endpoint_secret_rotate(endpoint=endpoint, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("New secret made."))
    return redirect("web:webhook", endpoint_id=endpoint.pk)


@require_POST
@staff_required(Role.OWNER)
def delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    asking = confirm_first(
        request,
        question=_("Stop sending events to %(url)s?") % {"url": endpoint.url},
        consequence=_("The address and its delivery log are removed."),
        yes=_("Yes, remove it"),
        cancel_url=reverse("web:webhook", kwargs={"endpoint_id": endpoint.pk}),
    )
    if asking is not None:
        return asking
    endpoint_delete(endpoint=endpoint, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Removed."))
    return redirect("web:webhooks")


@require_POST
@staff_required(Role.OWNER)
def replay(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = owned_or_404(Delivery, request, pk=delivery_id)
    delivery_replay(delivery=delivery, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("It will be sent again within a minute."))
    return redirect("web:webhook", endpoint_id=delivery.endpoint_id)
