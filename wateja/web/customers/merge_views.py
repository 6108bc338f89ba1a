"""Duplicates and merges, for a manager: the list of likely duplicates (in words, never a raw
score), a side-by-side comparison with the merged result, the merge after a confirmation, and
the undo of a recent merge (30 days)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError
from wateja.customers.duplicates import duplicate_pairs
from wateja.customers.merging import (
    customer_merge_record,
    customer_merge_undo,
    merge_can_undo,
    merge_preview,
    merge_undo_days,
    merge_undo_until,
    merges_recent,
)
from wateja.customers.models import Customer, CustomerMerge, Gender
from wateja.tenants.models import Business
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.wallet.models import MONEY_KINDS, Kind
from wateja.wallet.services import wallet_merge_preview
from wateja.web.confirm import confirm_first
from wateja.web.permissions import staff_required

PAGE_SIZE = 50

# how sure a pair is, in words a shop owner reads (never the score itself)
CERTAIN, LIKELY, POSSIBLE = "certain", "likely", "possible"
LIKELIHOOD_LABELS = {
    CERTAIN: gettext_lazy("Same person"),
    LIKELY: gettext_lazy("Likely the same person"),
    POSSIBLE: gettext_lazy("Possibly the same person"),
}
REASON_LABELS = {
    "same_phone": gettext_lazy("the same phone number"),
    "similar_name_same_city": gettext_lazy("a similar name in the same city"),
    "similar_name_other_contact": gettext_lazy(
        "a similar name in the same city, but another phone or e-mail: check before merging"
    ),
}
FIELD_LABELS = {
    "name": gettext_lazy("Full name"),
    "phones": gettext_lazy("Phones"),
    "emails": gettext_lazy("E-mails"),
    "city": gettext_lazy("City"),
    "birthday": gettext_lazy("Birthday"),
    "language": gettext_lazy("Preferred language"),
    "gender": gettext_lazy("Gender"),
}


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def likelihood(pair: dict[str, Any]) -> str:
    """Only the same phone number is certain; a pair whose contacts disagree is at most a
    possibility, whatever its names."""
    if pair["reason"] == "same_phone":
        return CERTAIN
    if pair["reason"] == "similar_name_other_contact":
        return POSSIBLE
    return LIKELY


def _after(value: str) -> tuple[float, int, int] | None:
    """The (score, a, b) of `?after=score:a:b`, the last pair of the page before."""
    try:
        score, a, b = value.split(":")
        return float(score), int(a), int(b)
    except ValueError:
        return None


@staff_required(Role.MANAGER)
def duplicates(request: HttpRequest) -> HttpResponse:
    """The stored likely duplicates (customers.duplicates), surest first, PAGE_SIZE a page
    (keyset: `?after=` names the last pair shown)."""
    business = _business(request)
    after = _after(request.GET.get("after", ""))
    pairs = duplicate_pairs(business, limit=PAGE_SIZE + 1, after=after)
    more = len(pairs) > PAGE_SIZE
    pairs = pairs[:PAGE_SIZE]
    rows = [
        {
            "a": p.customer_a,
            "b": p.customer_b,
            "likelihood": likelihood({"reason": p.reason}),
            "likelihood_label": LIKELIHOOD_LABELS[likelihood({"reason": p.reason})],
            "reason": REASON_LABELS.get(p.reason, ""),
        }
        for p in pairs
    ]
    last = pairs[-1] if more else None
    merges = [
        {"merge": m, "can_undo": merge_can_undo(m), "until": merge_undo_until(m)}
        for m in merges_recent(business)
    ]
    return render(
        request,
        "web/customers/duplicates.html",
        {
            "rows": rows,
            "merges": merges,
            "undo_days": merge_undo_days(),
            "next_after": f"{last.score}:{last.customer_a_id}:{last.customer_b_id}" if last else "",
            "paged": after is not None,
        },
    )


def _pair(request: HttpRequest, source: Any) -> tuple[Customer, Customer] | None:
    business = _business(request)
    try:
        keep = get_owned(Customer, business, pk=int(source.get("keep", "0")))
        drop = get_owned(Customer, business, pk=int(source.get("drop", "0")))
    except (DomainError, ValueError):
        return None
    return keep, drop


def _value(field: str, side: dict[str, Any]) -> Any:
    value = side[field]
    if field == "language" and value:
        return dict(Customer._meta.get_field("language").choices or []).get(value, value)
    if field == "gender" and value:
        return Gender(value).label
    return value


@staff_required(Role.MANAGER)
def merge_compare(request: HttpRequest) -> HttpResponse:
    """Both records and the merged result side by side, before anything changes."""
    pair = _pair(request, request.GET)
    if pair is None:
        messages.error(request, _("Choose two customers."))
        return redirect("web:duplicates")
    keep, drop = pair
    try:
        preview = merge_preview(keep=keep, drop=drop)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("web:duplicates")
    sides = (preview["keep"], preview["drop"], preview["merged"])
    fields = [
        {
            "label": label,
            "values": [_value(field, side) for side in sides],
            "is_list": field in ("phones", "emails"),
            "conflict": field in preview["conflicts"],
        }
        for field, label in FIELD_LABELS.items()
    ]
    balances = [
        {
            "label": Kind(kind).label,
            "is_money": kind in MONEY_KINDS,
            "values": [row["keep"], row["drop"], row["merged"]],
        }
        for kind, row in wallet_merge_preview(keep, drop).items()
        if row["keep"] or row["drop"] or row["pending"]
    ]
    return render(
        request,
        "web/customers/merge_preview.html",
        {
            "keep": keep,
            "drop": drop,
            "preview": preview,
            "sides": sides,
            "fields": fields,
            "balances": balances,
            "consent_channels": [("sms", _("Offers by SMS")), ("email", _("Offers by e-mail"))],
        },
    )


@require_POST
@staff_required(Role.MANAGER)
def merge(request: HttpRequest) -> HttpResponse:
    pair = _pair(request, request.POST)
    if pair is None:
        messages.error(request, _("Choose two customers."))
        return redirect("web:duplicates")
    keep, drop = pair
    compare_url = f"{reverse('web:merge_compare')}?keep={keep.pk}&drop={drop.pk}"
    asking = confirm_first(
        request,
        question=_("Merge %(drop)s into %(keep)s?") % {"drop": drop.name, "keep": keep.name},
        consequence=_(
            "Purchases, cards, consents, history, tags and balances of %(drop)s move to "
            "%(keep)s, and both records' phones and e-mails are kept. You can undo it for "
            "%(days)s days."
        )
        % {"drop": drop.name, "keep": keep.name, "days": merge_undo_days()},
        yes=_("Yes, merge"),
        cancel_url=compare_url,
    )
    if asking is not None:
        return asking
    try:
        record = customer_merge_record(keep=keep, drop=drop, actor=request.user)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("web:duplicates")
    messages.success(request, _("Customers merged."))
    return redirect("web:customer_detail", customer_id=record.keep_id)


@require_POST
@staff_required(Role.MANAGER)
def merge_undo(request: HttpRequest, merge_id: int) -> HttpResponse:
    try:
        record = get_owned(CustomerMerge, _business(request), pk=merge_id)
    except DomainError:
        raise Http404 from None
    back = (
        reverse("web:duplicates")
        if request.POST.get("next") == "duplicates"
        else reverse("web:customer_detail", args=[record.keep_id])
    )
    asking = confirm_first(
        request,
        question=_("Undo the merge of %(drop)s into %(keep)s?")
        % {"drop": record.drop.name, "keep": record.keep.name},
        consequence=_(
            "%(drop)s gets back their own profile, phone, e-mail, cards, purchases, history "
            "and balances, as before the merge."
        )
        % {"drop": record.drop.name},
        yes=_("Yes, undo the merge"),
        cancel_url=back,
    )
    if asking is not None:
        return asking
    try:
        customer_merge_undo(merge=record, actor=request.user)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(back)
    messages.success(request, _("The merge was undone."))
    return redirect(back)
