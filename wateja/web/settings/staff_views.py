"""Settings → Staff, the owner's screen for the people who work for the business: the list,
adding a staff member, and per member changing role and locations, resetting the password,
setting a new till PIN, clearing their two-step sign-in (a lost phone), and deactivating or
reactivating them after a confirmation step.
The services in wateja.tenants.staff decide; these views parse the form, call them, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError
from wateja.tenants import two_factor
from wateja.tenants.models import Business, Location, Staff
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.tenants.staff import staff_create, staff_password_set, staff_pin_set, staff_update
from wateja.web.confirm import confirm_first
from wateja.web.errors import apply_to_form, error_lines
from wateja.web.permissions import staff_required
from wateja.web.settings.forms import (
    StaffAddForm,
    StaffChangeForm,
    StaffPasswordForm,
    StaffPinForm,
)


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _location_choices(business: Business) -> list[tuple[int, str]]:
    return [(place.pk, place.name) for place in Location.objects.for_business(business)]


def _member(request: HttpRequest, staff_id: int) -> Staff:
    """A staff member of this business (another business's id is simply not found)."""
    try:
        member = get_owned(Staff, _business(request), pk=staff_id)
    except DomainError:
        raise Http404 from None
    return member


def _name(member: Staff) -> str:
    return member.user.get_full_name() or member.user.get_username()


def _change_form(member: Staff, data: Any = None) -> StaffChangeForm:
    return StaffChangeForm(
        data,
        owner=member.role == Role.OWNER,
        locations=_location_choices(member.business),
        initial={"role": member.role, "locations": [p.pk for p in member.locations.all()]},
    )


@staff_required(Role.OWNER)
def staff_page(request: HttpRequest) -> HttpResponse:
    """The list of staff, and the form that adds one (POST)."""
    business = _business(request)
    form = StaffAddForm(request.POST or None, locations=_location_choices(business))
    if request.method == "POST" and form.is_valid():
        try:
            member = staff_create(business=business, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as error:
            apply_to_form(form, error)
        else:
            messages.success(
                request,
                _("%(name)s can now sign in as %(username)s.")
                % {"name": _name(member), "username": member.user.get_username()},
            )
            return redirect("web:staff")
    members = (
        Staff.objects.for_business(business)
        .select_related("user")
        .prefetch_related("locations")
        .order_by("-active", "id")
    )
    return render(request, "web/settings/staff.html", {"form": form, "members": members})


def _member_page(
    request: HttpRequest,
    member: Staff,
    *,
    change_form: StaffChangeForm | None = None,
    password_form: StaffPasswordForm | None = None,
    pin_form: StaffPinForm | None = None,
) -> HttpResponse:
    return render(
        request,
        "web/settings/staff_member.html",
        {
            "member": member,
            "member_name": _name(member),
            "is_owner_row": member.role == Role.OWNER,
            "change_form": change_form or _change_form(member),
            "password_form": password_form or StaffPasswordForm(),
            "pin_form": pin_form or StaffPinForm(),
            "two_factor_on": two_factor.is_enrolled(member.user),
            "is_me": member.user_id == request.user.pk,
        },
    )


@staff_required(Role.OWNER)
def staff_member(request: HttpRequest, staff_id: int) -> HttpResponse:
    """One member's page; POST changes their role and locations."""
    member = _member(request, staff_id)
    if request.method != "POST":
        return _member_page(request, member)
    form = _change_form(member, request.POST)
    if form.is_valid():
        try:
            staff_update(staff=member, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as error:
            apply_to_form(form, error)
            member.refresh_from_db()  # the service may have changed it in memory before refusing
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:staff_member", staff_id=member.pk)
    return _member_page(request, member, change_form=form)


@require_POST
@staff_required(Role.OWNER)
def staff_password(request: HttpRequest, staff_id: int) -> HttpResponse:
    member = _member(request, staff_id)
    form = StaffPasswordForm(request.POST)
    if form.is_valid():
        try:
            staff_password_set(
                staff=member,
                password=form.cleaned_data["password"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as error:
            apply_to_form(form, error)
        else:
            if member.user_id == request.user.pk:  # the owner's own: stay signed in here
                update_session_auth_hash(request, member.user)
            messages.success(
                request, _("New password saved for %(name)s.") % {"name": _name(member)}
            )
            return redirect("web:staff_member", staff_id=member.pk)
    return _member_page(request, member, password_form=form)


@require_POST
@staff_required(Role.OWNER)
def staff_pin(request: HttpRequest, staff_id: int) -> HttpResponse:
    member = _member(request, staff_id)
    form = StaffPinForm(request.POST)
    if form.is_valid():
        try:
            staff_pin_set(staff=member, pin=form.cleaned_data["pin"], actor=request.user)  # type: ignore[arg-type]
        except DomainError as error:
            apply_to_form(form, error)
        else:
            messages.success(
                request, _("New till PIN saved for %(name)s.") % {"name": _name(member)}
            )
            return redirect("web:staff_member", staff_id=member.pk)
    return _member_page(request, member, pin_form=form)


@staff_required(Role.OWNER)
def staff_access(request: HttpRequest, staff_id: int) -> HttpResponse:
    """Deactivate or reactivate a member: GET asks for confirmation, the confirming POST
    (with `confirm=yes` and the wanted `active`) does it. A POST without the confirmation
    only shows the question again."""
    member = _member(request, staff_id)
    wanted = request.POST.get("active")
    if request.method == "POST" and request.POST.get("confirm") == "yes" and wanted in ("0", "1"):
        active = wanted == "1"
        try:
            staff_update(staff=member, active=active, actor=request.user)  # type: ignore[arg-type]
        except DomainError as error:
            messages.error(request, " ".join(error_lines(error)))
        else:
            messages.success(
                request,
                (
                    _("%(name)s can sign in again.")
                    if active
                    else _("%(name)s can no longer sign in.")
                )
                % {"name": _name(member)},
            )
        return redirect("web:staff_member", staff_id=member.pk)
    if member.role == Role.OWNER:  # nothing to ask: the owner's access is not changed here
        return redirect("web:staff_member", staff_id=member.pk)
    return render(
        request,
        "web/settings/staff_access.html",
        {"member": member, "member_name": _name(member), "activate": not member.active},
    )


@require_POST
@staff_required(Role.OWNER)
def staff_two_factor_reset(request: HttpRequest, staff_id: int) -> HttpResponse:
    """Clear a staff member's second step, after a confirmation page."""
    member = _member(request, staff_id)
    back = reverse("web:staff_member", kwargs={"staff_id": member.pk})
    asking = confirm_first(
        request,
        question=_("Reset two-step sign-in for %(name)s?") % {"name": _name(member)},
        consequence=_(
            "Their authenticator app and recovery codes stop working. If their role needs "
            "two-step sign-in, they set it up again the next time they sign in."
        ),
        yes=_("Yes, reset it"),
        cancel_url=back,
    )
    if asking is not None:
        return asking
    try:
        two_factor.reset(staff=member, actor=request.user)
    except DomainError as error:
        messages.error(request, " ".join(error_lines(error)))
    else:
        messages.success(
            request, _("Two-step sign-in reset for %(name)s.") % {"name": _name(member)}
        )
    return redirect(back)
