"""Online shop screens for the owner: the connected shops and a form to connect one (its
platform, a name, the webhook secret the shop shows); each shop's page with the address to
paste into the shop, the topics to choose there, and the last events it sent."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError
from wateja.customers.links import public_url
from wateja.shops.models import Platform, ShopConnection, ShopEvent
from wateja.shops.services import TOPICS, shop_connect, shop_disconnect
from wateja.tenants.models import Business
from wateja.tenants.roles import Role
from wateja.web.confirm import confirm_first
from wateja.web.errors import apply_to_form
from wateja.web.permissions import owned_or_404, staff_required

EVENTS_SHOWN = 30


class ConnectForm(forms.Form):
    platform = forms.ChoiceField(label=gettext_lazy("Platform"), choices=Platform.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    secret = forms.CharField(
        label=gettext_lazy("Webhook secret"),
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy(
            "Shopify: the app's API secret key. WooCommerce: the secret you type when you add "
            "the webhook."
        ),
    )


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _connection(request: HttpRequest, connection_id: int) -> ShopConnection:
    return owned_or_404(ShopConnection, request, pk=connection_id)


@staff_required(Role.OWNER)
def shops(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    form = ConnectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            connection = shop_connect(business=business, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as error:
            apply_to_form(form, error)
        else:
            messages.success(request, _("Connected: now add the webhooks in the shop."))
            return redirect("web:shop", connection_id=connection.pk)
    return render(
        request,
        "web/shops/list.html",
        {"connections": ShopConnection.objects.for_business(business), "form": form},
    )


@staff_required(Role.OWNER)
def shop_detail(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = _connection(request, connection_id)
    events = ShopEvent.objects.for_business(_business(request)).filter(connection=connection)
    return render(
        request,
        "web/shops/detail.html",
        {
            "connection": connection,
            "address": public_url(reverse("web:hook_shop", kwargs={"token": connection.token})),
            "topics": sorted(TOPICS[Platform(connection.platform)]),
            "events": events[:EVENTS_SHOWN],
        },
    )


@require_POST
@staff_required(Role.OWNER)
def disconnect(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = _connection(request, connection_id)
    asking = confirm_first(
        request,
        question=_("Disconnect %(name)s?") % {"name": connection.name},
        consequence=_("Its webhooks are refused from now on; sales already recorded stay."),
        yes=_("Yes, disconnect"),
        cancel_url=reverse("web:shop", kwargs={"connection_id": connection.pk}),
    )
    if asking is not None:
        return asking
    shop_disconnect(connection=connection, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Disconnected."))
    return redirect("web:shops")
