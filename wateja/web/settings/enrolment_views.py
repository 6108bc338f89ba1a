"""Settings → Enrolment page: whose phone numbers the public page `/join/<shop>/` takes, and
whether it checks them by a one-time SMS code. The owner changes them; managers see them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError
from wateja.customers.enrolment import country_names, served_countries
from wateja.messaging.joining import verification_applies
from wateja.tenants.models import Business, JoinVerify
from wateja.tenants.roles import Role
from wateja.tenants.services import business_update
from wateja.web.errors import error_lines
from wateja.web.permissions import staff_required
from wateja.web.settings.forms import EnrolmentSettingsForm


def enrolment_context(business: Business) -> dict[str, Any]:
    """What the settings page shows of the enrolment page: the form, and in words what the
    page does now."""
    language = translation.get_language() or "en"
    return {
        "enrolment_form": EnrolmentSettingsForm(
            initial={
                "countries_served": business.countries_served.replace(",", ", "),
                "join_verify_phone": business.join_verify_phone,
            }
        ),
        "join_countries": country_names(served_countries(business), language),
        "join_verify_label": JoinVerify(business.join_verify_phone).label,
        "join_verifies": verification_applies(business),
    }


@require_POST
@staff_required(Role.OWNER)
def enrolment_settings(request: HttpRequest) -> HttpResponse:
    business = request.business  # type: ignore[attr-defined]
    form = EnrolmentSettingsForm(request.POST)
    if form.is_valid():
        try:
            business_update(business=business, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, "; ".join(error_lines(error)))
        else:
            messages.success(request, _("Enrolment page settings saved."))
    else:
        messages.error(request, _("Some fields are not valid."))
    return redirect(reverse("web:settings") + "#enrolment")
