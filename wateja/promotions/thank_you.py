"""Printed, personal thank-you cards (A6, one page per customer), for one customer or a batch
(a saved segment), each in the customer's own language, with a one-time promo code issued to
that customer so the shop sees which cards came back (the codes of one print share a batch
name; their redemptions are counted like any promo code's).

The code comes from an active offer that already takes codes (printing never turns an
automatic offer into a code-only one). Printing is audited: it issues codes and puts names on
paper.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A6, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from wateja.core.errors import ValidationFailed
from wateja.core.sending import first_name
from wateja.customers.models import Customer
from wateja.customers.printing import (
    BRAND,
    BRAND_DARK,
    BRAND_TINT,
    INK,
    MUTED,
    SANS,
    SANS_BOLD,
    _contact_line,
    _draw_qr,
    _fit,
    _new_canvas,
    _wrap,
    _zone,
    register_fonts,
)
from wateja.promotions.describe import describe
from wateja.promotions.models import CodeKind, PromoCode, Promotion, PromotionStatus
from wateja.promotions.services import codes_issue
from wateja.tenants.models import Business
from wateja.tenants.services import audit_record

__all__ = [
    "MAX_CARDS",
    "NOTE_MAX_LENGTH",
    "ThankYouPrint",
    "thank_you_batch_figures",
    "thank_you_cards_print",
    "thank_you_offers",
]

MAX_CARDS = 300
NOTE_MAX_LENGTH = 300
CODE_PREFIX = "TY"
CODE_LENGTH = 6
PAGE = landscape(A6)


@dataclass(frozen=True)
class ThankYouPrint:
    pdf: bytes
    batch: str
    codes: dict[int, str]  # customer id -> code (empty without an offer)


def thank_you_offers(business: Business, now: dt.datetime | None = None) -> QuerySet[Promotion]:
    """The offers a thank-you card may carry a code of: active, taking codes, not over."""
    now = now or timezone.now()
    return (
        Promotion.objects.filter(
            business=business, status=PromotionStatus.ACTIVE, requires_code=True
        )
        .exclude(ends_at__lt=now)
        .order_by("name", "pk")
    )


def _language(customer: Customer, business: Business) -> str:
    return customer.language or business.default_language or "en"


@transaction.atomic
def thank_you_cards_print(
    *,
    business: Business,
    customers: Sequence[Customer],
    promotion: Promotion | None = None,
    note: str = "",
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> ThankYouPrint:
    """The PDF of one thank-you card per active customer given (in that order), each with a
    one-time code of `promotion` issued to that customer when an offer is chosen, and an
    optional personal `note`. Raises ValidationFailed for an offer that cannot carry codes,
    no customer or too many."""
    now = now or timezone.now()
    note = " ".join(note.split())
    errors: dict[str, object] = {}
    chosen = [c for c in customers if c.business_id == business.pk and c.is_active]
    if not chosen:
        errors["customers"] = _("No customer to print a card for.")
    elif len(chosen) > MAX_CARDS:
        errors["customers"] = _("At most %(count)s cards in one print. Choose fewer customers.") % {
            "count": MAX_CARDS
        }
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = _("At most %(count)s characters.") % {"count": NOTE_MAX_LENGTH}
    if promotion is not None and not thank_you_offers(business, now).filter(pk=promotion.pk):
        errors["promotion"] = _("Choose an active offer that takes promo codes.")
    if errors:
        raise ValidationFailed.fields(_("The cards cannot be printed."), errors)

    local = now.astimezone(_zone(business))
    batch = f"thank-you {local:%Y-%m-%d %H:%M:%S}"
    codes: dict[int, str] = {}
    if promotion is not None:
        for customer in chosen:
            issued = codes_issue(
                promotion=promotion, count=1, kind=CodeKind.SINGLE_USE, prefix=CODE_PREFIX,
                length=CODE_LENGTH, batch=batch, issued_to=customer, valid_until=promotion.ends_at,
            )  # fmt: skip
            codes[customer.pk] = issued[0].code
    pdf = _cards_pdf(business, chosen, promotion, codes, note)
    audit_record(
        business=business,
        action="print.thank_you_cards",
        object_type="business",
        object_id=business.pk,
        actor=actor,
        details={
            "cards": len(chosen),
            "promotion": promotion.pk if promotion is not None else None,
            "batch": batch if codes else "",
        },
    )
    return ThankYouPrint(pdf=pdf, batch=batch if codes else "", codes=codes)


def thank_you_batch_figures(business: Business) -> list[dict[str, object]]:
    """Each printed batch of thank-you codes, newest first: codes issued and codes used."""
    rows = (
        PromoCode.objects.filter(business=business, batch__startswith="thank-you ")
        .values("batch")
        .annotate(
            issued=Count("pk"),
            used=Count("pk", filter=Q(uses_count__gt=0)),
            printed_at=Min("created_at"),
        )
        .order_by("-printed_at", "-batch")
    )
    return [dict(row) for row in rows]


def _cards_pdf(
    business: Business,
    customers: Sequence[Customer],
    promotion: Promotion | None,
    codes: dict[int, str],
    note: str,
) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    canvas = _new_canvas(
        buffer, PAGE, _("Thank-you cards: %(business)s") % {"business": business.name}
    )
    canvas.setAuthor(business.name)
    for customer in customers:
        with translation.override(_language(customer, business)):
            offer = describe(promotion)["what"] if promotion is not None else ""
            _draw_card(canvas, business, customer, codes.get(customer.pk, ""), offer, note)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_card(
    canvas: Canvas, business: Business, customer: Customer, code: str, offer: str, note: str
) -> None:
    w, h = PAGE
    pad, band = 9 * mm, 16 * mm
    canvas.setFillColor(BRAND)
    canvas.rect(0, h - band, w, band, stroke=0, fill=1)
    name, size = _fit(business.name, SANS_BOLD, 15, w - 2 * pad, 8)
    canvas.setFillColor(colors.white)
    canvas.setFont(SANS_BOLD, size)
    canvas.drawString(pad, h - band / 2 - size * 0.36, name)

    top = h - band - 14 * mm
    greeting = _("Thank you, %(name)s!") % {"name": first_name(customer.name) or customer.name}
    text, size = _fit(greeting, SANS_BOLD, 20, w - 2 * pad, 10)
    canvas.setFillColor(BRAND_DARK)
    canvas.setFont(SANS_BOLD, size)
    canvas.drawString(pad, top, text)
    body = note or _("It is a joy to have you with us. We look forward to seeing you again soon.")
    canvas.setFillColor(INK)
    canvas.setFont(SANS, 10)
    top -= 8 * mm
    text_width = w - 2 * pad - (30 * mm if code else 0)
    for line in _wrap(body, SANS, 10, text_width, 3):
        canvas.drawString(pad, top, line)
        top -= 5 * mm

    if code:
        qr = 24 * mm
        canvas.setFillColor(colors.black)
        _draw_qr(canvas, code, w - pad - qr, 14 * mm, qr)
        box_top = 14 * mm + qr
        canvas.setFillColor(BRAND_TINT)
        canvas.roundRect(pad, 14 * mm, w - 2 * pad - qr - 5 * mm, qr, 2 * mm, stroke=0, fill=1)
        inner = w - 2 * pad - qr - 11 * mm
        label, size = _fit(_("Your gift code"), SANS, 8, inner, 6)
        canvas.setFillColor(MUTED)
        canvas.setFont(SANS, size)
        canvas.drawString(pad + 3 * mm, box_top - 6 * mm, label)
        canvas.setFillColor(INK)
        canvas.setFont(SANS_BOLD, 16)
        canvas.drawString(pad + 3 * mm, box_top - 13 * mm, code)
        canvas.setFont(SANS, 7.5)
        for n, line in enumerate(_wrap(offer, SANS, 7.5, inner, 2)):
            canvas.drawString(pad + 3 * mm, box_top - 18 * mm - n * 3.4 * mm, line)

    contact = _contact_line(business)
    if contact:
        text, size = _fit(contact, SANS, 8, w - 2 * pad, 6)
        canvas.setFillColor(MUTED)
        canvas.setFont(SANS, size)
        canvas.drawCentredString(w / 2, 6 * mm, text)
