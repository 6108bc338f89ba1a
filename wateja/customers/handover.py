"""Handing a customer the business's contacts: a vCard (what the QR code on the "Hand over
our contacts" screen and on the printed business card holds), the printed business card itself
(one card-sized page, or an A4 sheet of ten with cut lines) and a "customer of the month"
picture (PNG), made only for a customer who agreed to be named in public (Channel.PUBLIC).

The PDFs use the DejaVu fonts of customers.printing (Latin, Armenian, Cyrillic); the PNG draws
with the same TTF files through Pillow (which reportlab depends on).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

from babel.dates import format_date
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from wateja.core.contacts import format_phone
from wateja.core.errors import DomainError
from wateja.customers.models import Channel, Customer
from wateja.customers.printing import (
    BRAND,
    BRAND_DARK,
    BRAND_TINT,
    CARD_HEIGHT,
    CARD_RADIUS,
    CARD_WIDTH,
    CARDS_PER_SHEET,
    FONT_DIR,
    INK,
    MUTED,
    SANS,
    SANS_BOLD,
    FontMissing,
    _draw_crop_marks,
    _draw_qr,
    _fit,
    _locale_name,
    _monogram,
    _new_canvas,
    _sheet_positions,
    _zone,
    monogram_draw,
    register_fonts,
)
from wateja.customers.selectors import has_consent
from wateja.tenants.models import Business

__all__ = [
    "PNG_SIZE",
    "NoPublicConsent",
    "business_card_pdf",
    "customer_of_month_png",
    "may_show_in_public",
    "vcard",
]

# --------------------------------------------------------------------------------------------
# vCard (RFC 2426, version 3.0: what phone cameras and contact apps read best)

_FOLD_AT = 75  # octets per line, the CRLF not counted


def _escape(value: str) -> str:
    """A text value: backslash, comma and semicolon escaped, line breaks as \\n."""
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _fold(line: str) -> Iterator[str]:
    """A content line cut into pieces of at most 75 octets (never inside a UTF-8 character);
    every piece after the first starts with a space."""
    piece, size, limit = "", 0, _FOLD_AT
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            yield piece
            piece, size, limit = " ", 1, _FOLD_AT
        piece += char
        size += width
    yield piece


def vcard(business: Business, *, url: str = "") -> str:
    """The business as a contact card: its name, support phone and e-mail, address and the
    `url` given (its public page). Lines end with CRLF, long lines are folded."""
    name = _escape(business.name.strip())
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"N:{name};;;;", f"FN:{name}", f"ORG:{name}"]
    if business.support_phone:
        lines.append(f"TEL;TYPE=WORK,VOICE:{business.support_phone.strip()}")
    if business.support_email:
        lines.append(f"EMAIL;TYPE=INTERNET,WORK:{business.support_email.strip()}")
    if business.address.strip():
        lines.append(f"ADR;TYPE=WORK:;;{_escape(business.address.strip())};;;;")
    if url:
        lines.append(f"URL:{url}")
    lines.append("X-ABShowAs:COMPANY")  # iPhone: a company, not a person called "Kahawa"
    lines.append("END:VCARD")
    return "".join(f"{piece}\r\n" for line in lines for piece in _fold(line))


# --------------------------------------------------------------------------------------------
# Business card (PDF)


def _draw_business_card(canvas: Canvas, x: float, y: float, business: Business, card: str) -> None:
    """One ID-1 card: a band with the name, the contacts on the left, the vCard QR right."""
    w, h = CARD_WIDTH, CARD_HEIGHT
    pad, band = 4.5 * mm, 14 * mm
    canvas.saveState()
    path = canvas.beginPath()
    path.roundRect(x, y, w, h, CARD_RADIUS)
    canvas.clipPath(path, stroke=0, fill=0)
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, w, h, stroke=0, fill=1)
    canvas.setFillColor(BRAND)
    canvas.rect(x, y + h - band, w, band, stroke=0, fill=1)
    radius = 4.2 * mm
    cx, cy = x + pad + radius, y + h - band / 2
    monogram_draw(canvas, cx, cy, radius, business.name, 9.5)
    text_x = cx + radius + 2.5 * mm
    name, size = _fit(business.name, SANS_BOLD, 12, x + w - pad - text_x, 7)
    canvas.setFillColor(colors.white)
    canvas.setFont(SANS_BOLD, size)
    canvas.drawString(text_x, cy - size * 0.36, name)

    qr_size = 27 * mm
    qr_x, qr_y = x + w - pad - qr_size, y + pad
    canvas.setFillColor(colors.black)
    _draw_qr(canvas, card, qr_x, qr_y, qr_size)
    width = qr_x - 3 * mm - (x + pad)
    rows: list[tuple[str, str]] = []
    if business.support_phone:
        rows.append((_("Phone"), format_phone(business.support_phone)))
    if business.support_email:
        rows.append((_("E-mail"), business.support_email))
    if business.address.strip():
        rows.append((_("Address"), business.address.strip()))
    top = y + h - band - 6 * mm
    for label, value in rows[:3]:
        text, size = _fit(label.upper(), SANS, 5.5, width, 4.5)
        canvas.setFillColor(MUTED)
        canvas.setFont(SANS, size)
        canvas.drawString(x + pad, top, text)
        text, size = _fit(value, SANS_BOLD, 8.5, width, 5.5)
        canvas.setFillColor(INK)
        canvas.setFont(SANS_BOLD, size)
        canvas.drawString(x + pad, top - 3.6 * mm, text)
        top -= 9 * mm
    hint, size = _fit(_("Scan to save our contacts"), SANS, 5.5, width, 4.5)
    canvas.setFillColor(BRAND_DARK)
    canvas.setFont(SANS, size)
    canvas.drawString(x + pad, y + pad, hint)
    canvas.restoreState()


def business_card_pdf(business: Business, card: str, *, sheet: bool = False) -> bytes:
    """The business card with the vCard `card` as QR: one card-sized page, or (`sheet`) an
    A4 page of ten with cut lines."""
    register_fonts()
    buffer = io.BytesIO()
    title = _("Business card: %(business)s") % {"business": business.name}
    if not sheet:
        canvas = _new_canvas(buffer, (CARD_WIDTH, CARD_HEIGHT), title)
        _draw_business_card(canvas, 0, 0, business, card)
    else:
        canvas = _new_canvas(buffer, A4, title)
        positions = _sheet_positions()[:CARDS_PER_SHEET]
        _draw_crop_marks(canvas, positions)
        for x, y in positions:
            _draw_business_card(canvas, x, y, business, card)
    canvas.setAuthor(business.name)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Customer of the month (PNG)

PNG_SIZE = (1080, 1080)  # square: fits a shop window print, Instagram, WhatsApp status


class NoPublicConsent(DomainError):
    code = "no_public_consent"
    status = 409


def may_show_in_public(customer: Customer) -> bool:
    """The customer agreed (and has not withdrawn) to be named in public."""
    return customer.is_active and has_consent(customer, Channel.PUBLIC)


def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    register_fonts()  # the same files, and FontMissing with the same advice when absent
    directory = Path(str(getattr(settings, "WATEJA_FONT_DIR", FONT_DIR)))
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(directory / name), size)
    except OSError as error:  # pragma: no cover - register_fonts checked the files
        raise FontMissing(str(error)) from error


def _fitted(
    draw: ImageDraw.ImageDraw, text: str, bold: bool, size: int, width: int
) -> tuple[str, ImageFont.FreeTypeFont]:
    """The largest font size down to a third of `size` that fits; past that, cut with "…"."""
    font = _font(bold, size)
    while size > 24 and draw.textlength(text, font=font) > width:
        size -= 4
        font = _font(bold, size)
    while text and draw.textlength(text, font=font) > width:
        text = text[:-2] + "…"
    return text, font


def _hex(color: colors.Color) -> tuple[int, int, int]:
    return (round(color.red * 255), round(color.green * 255), round(color.blue * 255))


def customer_of_month_png(
    *, business: Business, customer: Customer, month: dt.date | None = None
) -> bytes:
    """A square picture naming `customer` the customer of `month` (default: this month) at
    the business. Raises NoPublicConsent unless the customer agreed to be shown in public."""
    if customer.business_id != business.pk or not may_show_in_public(customer):
        raise NoPublicConsent(
            _(
                "%(name)s has not agreed to be named in public. Ask them first and record "
                "their agreement (“My name shown in public”) on their page."
            )
            % {"name": customer.name}
        )
    month = month or timezone.now().astimezone(_zone(business)).date()
    width, height = PNG_SIZE
    image = Image.new("RGB", PNG_SIZE, _hex(BRAND_TINT))
    draw = ImageDraw.Draw(image)
    margin = 80
    draw.rectangle((0, 0, width, 230), fill=_hex(BRAND))
    text, font = _fitted(draw, business.name, True, 72, width - 2 * margin)
    draw.text((width / 2, 115), text, font=font, fill="white", anchor="mm")
    draw.rounded_rectangle((margin, 300, width - margin, height - 170), radius=40, fill="white")
    text, font = _fitted(draw, _("Customer of the month"), False, 56, width - 4 * margin)
    draw.text((width / 2, 400), text, font=font, fill=_hex(BRAND_DARK), anchor="mm")
    draw.ellipse((width / 2 - 90, 460, width / 2 + 90, 640), fill=_hex(BRAND))
    initials = _monogram(customer.name)
    text, font = _fitted(draw, initials, True, 96, 150)
    draw.text((width / 2, 550), text, font=font, fill="white", anchor="mm")
    text, font = _fitted(draw, customer.name, True, 88, width - 4 * margin)
    draw.text((width / 2, 720), text, font=font, fill=_hex(INK), anchor="mm")
    when = format_date(month, "LLLL y", locale=_locale_name())
    text, font = _fitted(draw, when[:1].upper() + when[1:], False, 48, width - 4 * margin)
    draw.text((width / 2, 810), text, font=font, fill=_hex(MUTED), anchor="mm")
    thanks = _("Thank you for being with us!")
    text, font = _fitted(draw, thanks, False, 44, width - 2 * margin)
    draw.text((width / 2, height - 85), text, font=font, fill=_hex(BRAND_DARK), anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
