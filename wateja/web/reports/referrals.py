"""The referral report screen: who brought whom, the referral rewards used and the refused
attempts (the program's fraud checks)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from wateja.dbrouting import reporting
from wateja.promotions.referral_report import referral_report
from wateja.tenants.roles import Role
from wateja.web.permissions import staff_required


@staff_required(Role.MANAGER)
@reporting  # reads from the read replica when there is one
def referrals(request: HttpRequest) -> HttpResponse:
    report = referral_report(request.business)  # type: ignore[attr-defined]
    return render(request, "web/reports/referrals.html", {"report": report})
