"""The customer base on paper: loyalty cards (one card, or A4 sheets of ten), the customer
list, the enrolment poster for the counter and a customer's data export, as PDF bytes.

Text is drawn with DejaVu Sans, registered from its TTF files by `register_fonts`: reportlab's
built-in fonts (Helvetica & co.) have no Armenian glyphs and print ■ instead. Every visible
string goes through gettext, so a PDF comes out in the active language; money follows the
business currency and dates the business time zone.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import itertools
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from reportlab.graphics.barcode import code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    LongTable,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from wateja.core.cards import format_card_number
from wateja.core.chunks import chunked
from wateja.core.contacts import format_phone
from wateja.core.formatting import format_count, format_day, format_moment
from wateja.core.money import Money, MoneyError, format_money
from wateja.customers.models import (
    Card,
    CardStatus,
    Channel,
    ConsentSource,
    Customer,
    Gender,
    InteractionKind,
    Source,
    TaskStatus,
)
from wateja.tenants.models import Business

__all__ = [
    "CARDS_PER_SHEET",
    "CARD_HEIGHT",
    "CARD_WIDTH",
    "FontMissing",
    "card_pdf",
    "cards_sheet_pdf",
    "customer_list_pdf",
    "data_export_pdf",
    "enrol_poster_pdf",
    "register_fonts",
]

# --------------------------------------------------------------------------------------------
# Fonts

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
SANS = "DejaVuSans"
SANS_BOLD = "DejaVuSans-Bold"
MONO = "DejaVuSansMono"
MONO_BOLD = "DejaVuSansMono-Bold"
_FONT_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    MONO: "DejaVuSansMono.ttf",
    MONO_BOLD: "DejaVuSansMono-Bold.ttf",
}


class FontMissing(RuntimeError):
    """The TTF fonts the PDFs need are not installed (an operator's problem, not a user's)."""


def register_fonts(font_dir: str | None = None) -> None:
    """Register DejaVu Sans (regular, bold) and DejaVu Sans Mono with reportlab, once.

    The directory is `font_dir`, else the WATEJA_FONT_DIR setting, else Debian's
    /usr/share/fonts/truetype/dejavu. Raises `FontMissing` naming the package to install.
    """
    _register_fonts(str(font_dir or getattr(settings, "WATEJA_FONT_DIR", FONT_DIR)))


@functools.cache
def _register_fonts(directory: str) -> None:
    missing = [name for name in _FONT_FILES.values() if not (Path(directory) / name).is_file()]
    if missing:
        raise FontMissing(
            f"PDF fonts not found in {directory}: {', '.join(missing)}. Install the Debian "
            "package fonts-dejavu-core (apt-get install fonts-dejavu-core; scripts/install "
            "does it) or point the WATEJA_FONT_DIR setting at a folder with these files."
        )
    for font_name, file_name in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(font_name, str(Path(directory) / file_name)))
    pdfmetrics.registerFontFamily(
        SANS, normal=SANS, bold=SANS_BOLD, italic=SANS, boldItalic=SANS_BOLD
    )
    pdfmetrics.registerFontFamily(
        MONO, normal=MONO, bold=MONO_BOLD, italic=MONO, boldItalic=MONO_BOLD
    )


def _has_glyphs(text: str, font: str = SANS) -> bool:
    char_to_glyph = pdfmetrics.getFont(font).face.charToGlyph
    return all(ord(char) in char_to_glyph for char in text)


# --------------------------------------------------------------------------------------------
# Look and shared helpers

BRAND = colors.HexColor("#0b7a5a")
BRAND_DARK = colors.HexColor("#075c43")
BRAND_TINT = colors.HexColor("#e7f3ef")
INK = colors.HexColor("#1d2430")
MUTED = colors.HexColor("#5d6675")
LINE = colors.HexColor("#dde2ea")
ZEBRA = colors.HexColor("#f6f7f9")
CUT = colors.HexColor("#9aa3b0")

CARD_WIDTH = 85.6 * mm  # ISO/IEC 7810 ID-1, like a bank card
CARD_HEIGHT = 54 * mm
CARD_RADIUS = 3.18 * mm
CARDS_PER_SHEET = 10
_SHEET_COLUMNS, _SHEET_ROWS = 2, 5
_SHEET_COLUMN_GAP = 10 * mm
_SHEET_ROW_GAP = 3 * mm


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def _locale_name() -> str:
    """The babel locale of the active language, "en" when babel does not know it."""
    name = translation.to_locale(translation.get_language() or settings.LANGUAGE_CODE)
    try:
        Locale.parse(name)
    except (ValueError, UnknownLocaleError):
        return "en"
    return name


def _zone(business: Business) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(business.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _date_text(value: Any, business: Business) -> str:
    moment = _as_datetime(value)
    if moment is None:
        return ""
    if timezone.is_aware(moment):
        moment = moment.astimezone(_zone(business))
    return format_day(moment.date(), _language(), business.country, style="medium")


def datetime_text(value: Any, business: Business) -> str:
    moment = _as_datetime(value)
    if moment is None:
        return str(value or "")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=dt.UTC)
    return format_moment(moment.astimezone(_zone(business)), _language(), business.country)


def money_text(amount_minor: int, currency: str) -> str:
    """The amount in the active locale; with the ISO code when the font lacks the symbol
    (DejaVu Sans has no Armenian dram sign ֏)."""
    locale = _locale_name()
    try:
        money = Money(int(amount_minor), currency)
        text = format_money(money, locale)
        if not _has_glyphs(text):
            text = f"{format_money(money, locale, with_currency=False)}\xa0{currency}"
    except (MoneyError, ValueError, TypeError):
        return f"{amount_minor} {currency}"
    return text


def _fit(text: str, font: str, size: float, width: float, min_size: float) -> tuple[str, float]:
    """Shrink `text` down to `min_size` to fit `width`; past that, cut it with an ellipsis."""
    while size > min_size and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.25
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text, size
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…", size


def _wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Greedy word wrap into at most `max_lines` lines; the last one is cut with "…"."""
    lines: list[str] = []
    words = text.split()
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and pdfmetrics.stringWidth(f"{line} {words[0]}", font, size) <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words:  # more text than lines: the last line takes the rest, and gets cut
        lines[-1] = " ".join([lines[-1], *words])
    return [_fit(line, font, size, width, size)[0] for line in lines]


def monogram_draw(
    canvas: Canvas, cx: float, cy: float, radius: float, name: str, size: float
) -> None:
    """The business's initials in a white disc on the brand band (cards, business cards)."""
    canvas.setFillColor(colors.white)
    canvas.circle(cx, cy, radius, stroke=0, fill=1)
    initials, fitted = _fit(_monogram(name), SANS_BOLD, size, 1.6 * radius, 6)
    canvas.setFillColor(BRAND)
    canvas.setFont(SANS_BOLD, fitted)
    canvas.drawCentredString(cx, cy - fitted * 0.36, initials)


def _monogram(name: str) -> str:
    words = [word for word in name.split() if word[:1].isalnum()]
    return "".join(word[0] for word in words[:2]).upper() or "•"


def _contact_line(business: Business) -> str:
    parts = []
    if business.support_phone:
        parts.append(format_phone(business.support_phone))
    if business.support_email:
        parts.append(business.support_email)
    return "  ·  ".join(parts)


def _draw_qr(canvas: Canvas, value: str, x: float, y: float, size: float) -> None:
    """A QR code of `value` (error correction M), `size` wide, lower-left corner at (x, y),
    no quiet zone. The matrix comes from reportlab's QR widget; the runs of dark modules are
    drawn straight on the canvas (a Drawing would drag Helvetica into the file)."""
    qr = QrCodeWidget(value, barLevel="M", barBorder=0).qr
    qr.make()
    modules = qr.getModuleCount()
    box = size / modules
    for row_index, row in enumerate(qr.modules):
        column = 0
        for dark, run in itertools.groupby(bool(cell) for cell in row):
            length = len(list(run))
            if dark:
                canvas.rect(
                    x + column * box,
                    y + size - (row_index + 1) * box,
                    length * box,
                    box,
                    stroke=0,
                    fill=1,
                )
            column += length


def _draw_code128(
    canvas: Canvas, digits: str, x: float, y: float, max_width: float, height: float
) -> float:
    """A Code128 barcode (set C for digits) at most `max_width` wide; returns its width."""
    probe = code128.Code128(digits, barWidth=1, humanReadable=False, quiet=False)
    bar_width = min(0.45 * mm, max_width / probe.width)
    barcode = code128.Code128(
        digits, barWidth=bar_width, barHeight=height, humanReadable=False, quiet=False
    )
    barcode.drawOn(canvas, x, y)
    return float(barcode.width)


def _new_canvas(buffer: io.BytesIO, pagesize: tuple[float, float], title: str) -> Canvas:
    canvas = Canvas(buffer, pagesize=pagesize, pageCompression=1, initialFontName=SANS)
    canvas.setTitle(title)
    canvas.setCreator("Wateja")
    return canvas


class _NumberedCanvas(Canvas):  # type: ignore[misc]
    """Holds pages back until the end, so each footer can say "Page 3 of 12"."""

    footer: Callable[[Canvas, int, int], None] = staticmethod(lambda c, page, pages: None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["initialFontName"] = kwargs.get("initialFontName") or SANS
        super().__init__(*args, **kwargs)
        self._held_pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        pages = len(self._held_pages)
        for state in self._held_pages:
            self.__dict__.update(state)
            type(self).footer(self, self._pageNumber, pages)
            super().showPage()
        super().save()


def _numbered_canvas(footer: Callable[[Canvas, int, int], None]) -> type[Canvas]:
    return type("NumberedCanvas", (_NumberedCanvas,), {"footer": staticmethod(footer)})


def pdf_styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle(
        "body", fontName=SANS, bulletFontName=SANS, fontSize=9, leading=12, textColor=INK
    )
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "muted": ParagraphStyle("muted", parent=base, fontSize=8.5, leading=11, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "title": ParagraphStyle(
            "title", parent=base, fontName=SANS_BOLD, fontSize=18, leading=22, spaceAfter=2 * mm
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=SANS_BOLD,
            fontSize=12,
            leading=15,
            textColor=BRAND_DARK,
            spaceBefore=5 * mm,
            spaceAfter=2 * mm,
            keepWithNext=1,
        ),
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName=SANS_BOLD,
            fontSize=9.5,
            leading=12,
            spaceBefore=3 * mm,
            spaceAfter=1.5 * mm,
            keepWithNext=1,
        ),
        "quote": ParagraphStyle("quote", parent=base, fontSize=8.5, leading=11.5),
    }


def paragraph(text: object, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped; line breaks kept)."""
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


# --------------------------------------------------------------------------------------------
# Loyalty cards


@dataclass(frozen=True)
class _CardFace:
    business_name: str
    customer_name: str
    number: str
    contact: str


def _card_face(card: Card, business: Business) -> _CardFace:
    return _CardFace(
        business_name=business.name,
        customer_name=card.customer.name,
        number=card.number,
        contact=_contact_line(business),
    )


def _draw_card(canvas: Canvas, x: float, y: float, face: _CardFace, *, outline: bool) -> None:
    """One ID-1 card with its lower-left corner at (x, y)."""
    w, h = CARD_WIDTH, CARD_HEIGHT
    pad = 4.5 * mm
    band = 15 * mm
    canvas.saveState()
    path = canvas.beginPath()
    path.roundRect(x, y, w, h, CARD_RADIUS)
    canvas.clipPath(path, stroke=0, fill=0)
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, w, h, stroke=0, fill=1)

    # Band: monogram, business name, "Loyalty card".
    canvas.setFillColor(BRAND)
    canvas.rect(x, y + h - band, w, band, stroke=0, fill=1)
    canvas.setFillColor(BRAND_DARK)
    canvas.rect(x, y + h - band - 0.8 * mm, w, 0.8 * mm, stroke=0, fill=1)
    radius = 4.6 * mm
    cx, cy = x + pad + radius, y + h - band / 2
    monogram_draw(canvas, cx, cy, radius, face.business_name, 10)
    text_x = cx + radius + 2.5 * mm
    name, size = _fit(face.business_name, SANS_BOLD, 11.5, x + w - pad - text_x, 7.5)
    canvas.setFillColor(colors.white)
    canvas.setFont(SANS_BOLD, size)
    canvas.drawString(text_x, y + h - 7.2 * mm, name)
    label, size = _fit(_("Loyalty card").upper(), SANS, 6, x + w - pad - text_x, 4.5)
    canvas.setFillColor(BRAND_TINT)
    canvas.setFont(SANS, size)
    canvas.drawString(text_x, y + h - 11.3 * mm, label)

    # QR of the number, on the right (codes in pure black, for scanners).
    canvas.setFillColor(colors.black)
    qr_size = 20 * mm
    qr_x = x + w - pad - qr_size
    qr_y = y + 7 * mm
    _draw_qr(canvas, face.number, qr_x, qr_y, qr_size)
    column = qr_x - 4 * mm - (x + pad)

    # Customer name (two lines when long) and the card number, on the left.
    canvas.setFillColor(INK)
    customer, size = _fit(face.customer_name, SANS_BOLD, 10, column, 8.5)
    if customer == face.customer_name:
        canvas.setFont(SANS_BOLD, size)
        canvas.drawString(x + pad, y + h - band - 6.3 * mm, customer)
    else:
        canvas.setFont(SANS_BOLD, 8)
        for index, line in enumerate(_wrap(face.customer_name, SANS_BOLD, 8, column, 2)):
            canvas.drawString(x + pad, y + h - band - (4.9 + 3.4 * index) * mm, line)
    label, size = _fit(_("Card number").upper(), SANS, 5.5, column, 4.5)
    canvas.setFillColor(MUTED)
    canvas.setFont(SANS, size)
    canvas.drawString(x + pad, y + 24.6 * mm, label)
    number, size = _fit(format_card_number(face.number), MONO_BOLD, 12, column, 8)
    canvas.setFillColor(INK)
    canvas.setFont(MONO_BOLD, size)
    canvas.drawString(x + pad, y + 19.6 * mm, number)

    # Code128 of the digits, bottom left.
    canvas.setFillColor(colors.black)
    _draw_code128(canvas, face.number, x + pad, y + 7 * mm, column, 10 * mm)

    # Footer: how to reach the business.
    if face.contact:
        contact, size = _fit(face.contact, SANS, 5.5, w - 2 * pad, 4.5)
        canvas.setFillColor(MUTED)
        canvas.setFont(SANS, size)
        canvas.drawString(x + pad, y + 3 * mm, contact)
    canvas.restoreState()

    if outline:
        canvas.saveState()
        canvas.setStrokeColor(CUT)
        canvas.setLineWidth(0.3)
        canvas.setDash(1.5, 1.5)
        canvas.roundRect(x, y, w, h, CARD_RADIUS, stroke=1, fill=0)
        canvas.restoreState()


def card_pdf(card: Card) -> bytes:
    """One card on a card-sized page (85.6 × 54 mm), for card printers or PDF viewers."""
    register_fonts()
    business = card.business
    buffer = io.BytesIO()
    canvas = _new_canvas(
        buffer,
        (CARD_WIDTH, CARD_HEIGHT),
        _("Loyalty card %(number)s") % {"number": format_card_number(card.number)},
    )
    canvas.setAuthor(business.name)
    _draw_card(canvas, 0, 0, _card_face(card, business), outline=False)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _sheet_positions() -> list[tuple[float, float]]:
    page_w, page_h = A4
    block_w = _SHEET_COLUMNS * CARD_WIDTH + (_SHEET_COLUMNS - 1) * _SHEET_COLUMN_GAP
    block_h = _SHEET_ROWS * CARD_HEIGHT + (_SHEET_ROWS - 1) * _SHEET_ROW_GAP
    left, bottom = (page_w - block_w) / 2, (page_h - block_h) / 2
    positions = []
    for row in range(_SHEET_ROWS):
        for column in range(_SHEET_COLUMNS):
            positions.append(
                (
                    left + column * (CARD_WIDTH + _SHEET_COLUMN_GAP),
                    bottom + (_SHEET_ROWS - 1 - row) * (CARD_HEIGHT + _SHEET_ROW_GAP),
                )
            )
    return positions


def _draw_crop_marks(canvas: Canvas, positions: Sequence[tuple[float, float]]) -> None:
    """Short cut lines in the page margins, in line with every card edge."""
    page_w, page_h = A4
    xs = sorted({x for x, _y in positions} | {x + CARD_WIDTH for x, _y in positions})
    ys = sorted({y for _x, y in positions} | {y + CARD_HEIGHT for _x, y in positions})
    left, right, bottom, top = xs[0], xs[-1], ys[0], ys[-1]
    gap, length = 1.5 * mm, 4 * mm
    canvas.saveState()
    canvas.setStrokeColor(CUT)
    canvas.setLineWidth(0.4)
    for x in xs:
        canvas.line(x, top + gap, x, min(top + gap + length, page_h - 1 * mm))
        canvas.line(x, bottom - gap, x, max(bottom - gap - length, 1 * mm))
    for y in ys:
        canvas.line(left - gap, y, max(left - gap - length, 1 * mm), y)
        canvas.line(right + gap, y, min(right + gap + length, page_w - 1 * mm), y)
    canvas.restoreState()


def cards_sheet_pdf(business: Business, cards: Iterable[Card]) -> bytes:
    """A4 sheets of ten cards (2 columns × 5 rows) with cut lines; as many pages as needed."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = _new_canvas(buffer, A4, _("Loyalty cards: %(business)s") % {"business": business.name})
    canvas.setAuthor(business.name)
    positions = _sheet_positions()
    on_page = 0
    for card in cards:
        if on_page == CARDS_PER_SHEET:
            canvas.showPage()
            on_page = 0
        if on_page == 0:
            _draw_crop_marks(canvas, positions)
        x, y = positions[on_page]
        _draw_card(canvas, x, y, _card_face(card, business), outline=True)
        on_page += 1
    if on_page == 0:  # no cards: one page that says so rather than a broken file
        canvas.setFont(SANS, 12)
        canvas.setFillColor(MUTED)
        canvas.drawCentredString(A4[0] / 2, A4[1] / 2, _("No cards to print."))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Customer list

_LIST_MARGIN = 14 * mm
FRAME_WIDTH = A4[0] - 2 * _LIST_MARGIN
_BATCH = 500


def _card_numbers(business: Business, customer_ids: list[int]) -> dict[int, str]:
    """The newest active card number of each customer."""
    numbers: dict[int, str] = {}
    rows = (
        Card.objects.for_business(business)
        .filter(customer_id__in=customer_ids, status=CardStatus.ACTIVE)
        .order_by("customer_id", "-issued_at", "-id")
        .values_list("customer_id", "number")
    )
    for customer_id, number in rows:
        numbers.setdefault(customer_id, number)
    return numbers


def _batches(customers: Iterable[Customer]) -> Iterator[list[Customer]]:
    if isinstance(customers, QuerySet):
        customers = customers.iterator(chunk_size=_BATCH)
    return chunked(customers, _BATCH)


def _page_footer(business: Business, left_text: str) -> Callable[[Canvas, int, int], None]:
    def footer(canvas: Canvas, page: int, pages: int) -> None:
        width = A4[0]
        canvas.saveState()
        canvas.setStrokeColor(LINE)
        canvas.setLineWidth(0.5)
        canvas.line(_LIST_MARGIN, 11 * mm, width - _LIST_MARGIN, 11 * mm)
        canvas.setFont(SANS, 7.5)
        canvas.setFillColor(MUTED)
        text, size = _fit(left_text, SANS, 7.5, width - 2 * _LIST_MARGIN - 40 * mm, 6)
        canvas.setFont(SANS, size)
        canvas.drawString(_LIST_MARGIN, 7 * mm, text)
        canvas.setFont(SANS, 7.5)
        canvas.drawRightString(
            width - _LIST_MARGIN,
            7 * mm,
            _("Page %(page)s of %(pages)s") % {"page": page, "pages": pages},
        )
        canvas.restoreState()

    return footer


def _page_header(business: Business, title: str) -> Callable[[Canvas, Any], None]:
    def header(canvas: Canvas, doc: Any) -> None:
        width, height = A4
        canvas.saveState()
        canvas.setFillColor(BRAND)
        canvas.rect(0, height - 4 * mm, width, 4 * mm, stroke=0, fill=1)
        name, size = _fit(business.name, SANS_BOLD, 9, width / 2 - _LIST_MARGIN, 6)
        canvas.setFont(SANS_BOLD, size)
        canvas.setFillColor(INK)
        canvas.drawString(_LIST_MARGIN, height - 11 * mm, name)
        canvas.setFont(SANS, 9)
        canvas.setFillColor(MUTED)
        canvas.drawRightString(width - _LIST_MARGIN, height - 11 * mm, title)
        canvas.restoreState()

    return header


def build_pdf(
    story: list[Flowable],
    *,
    business: Business,
    title: str,
    footer_text: str,
    running_header: Flowable | None = None,
) -> bytes:
    """Lay `story` out on A4 with a page header and "Page x of y" footers. With
    `running_header` (a table's header row), every page after the first draws it at the top
    of the frame, so a long table split into chunks still reads as one table."""
    buffer = io.BytesIO()
    height = A4[1]
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author=business.name,
        creator="Wateja",
        initialFontName=SANS,
        leftMargin=_LIST_MARGIN,
        rightMargin=_LIST_MARGIN,
        topMargin=16 * mm,
        bottomMargin=15 * mm,
    )
    top, bottom = height - 16 * mm, 15 * mm

    def frame(frame_top: float) -> Frame:
        return Frame(
            _LIST_MARGIN,
            bottom,
            FRAME_WIDTH,
            frame_top - bottom,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )

    page_header = _page_header(business, title)
    first = PageTemplate(id="first", frames=[frame(top)], onPage=page_header)
    if running_header is None:
        first.autoNextPageTemplate = "first"
        templates = [first]
    else:
        _w, header_height = running_header.wrap(FRAME_WIDTH, height)
        header: Flowable = running_header

        def later_header(canvas: Canvas, doc: Any) -> None:
            page_header(canvas, doc)
            header.drawOn(canvas, _LIST_MARGIN, top - header_height)

        first.autoNextPageTemplate = "later"
        later = PageTemplate(id="later", frames=[frame(top - header_height)], onPage=later_header)
        later.autoNextPageTemplate = "later"
        templates = [first, later]
    doc.addPageTemplates(templates)
    doc.build(story, canvasmaker=_numbered_canvas(_page_footer(business, footer_text)))
    return buffer.getvalue()


def _filters_text(filters: dict[str, Any] | None) -> str:
    if not filters:
        return ""
    labels = {"city": _("City"), "tag": _("Tag")}
    parts = [f"{labels.get(key, key)}: {value}" for key, value in filters.items() if value]
    return ", ".join(parts)


_CHUNK_ROWS = 200  # even, so the zebra stripes run on across chunks


def _list_table(rows: list[list[Any]], widths: list[float], *, is_header: bool) -> LongTable:
    table = LongTable(rows, colWidths=widths)
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), SANS, 8),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("ALIGN", (4, 0), (4, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.6),
        ("LEFTPADDING", (0, 0), (-1, -1), 1.5 * mm),
        ("RIGHTPADDING", (0, 0), (-1, -1), 1.5 * mm),
    ]
    if is_header:
        commands += [
            ("FONT", (0, 0), (-1, -1), SANS_BOLD, 8),
            ("TEXTCOLOR", (0, 0), (-1, -1), BRAND_DARK),
            ("BACKGROUND", (0, 0), (-1, -1), BRAND_TINT),
            ("LINEBELOW", (0, 0), (-1, -1), 0.8, BRAND),
        ]
    else:
        commands += [
            ("FONT", (0, 0), (0, -1), MONO, 8),
            ("ROWBACKGROUNDS", (0, 0), (-1, -1), [colors.white, ZEBRA]),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, LINE),
        ]
    table.setStyle(TableStyle(commands))
    return table


def customer_list_pdf(
    business: Business, customers: Iterable[Customer], *, filters: dict[str, Any] | None = None
) -> bytes:
    """The customer base as a printed table: card number, name, phone, city, total spent and
    last purchase, with the header row repeated and "Page x of y" on every page.

    `customers` may be a queryset (read in batches of 500) or any iterable of customers;
    `filters` (e.g. {"city": "Nairobi"}) is only shown under the title."""
    styles = pdf_styles()
    cell = styles["cell"]
    widths = [28 * mm, 46 * mm, 29 * mm, 25 * mm, 28 * mm, 26 * mm]  # the whole 182 mm
    pad = 2 * 1.5 * mm
    header = [
        _("Card"),
        _("Name"),
        _("Phone"),
        _("City"),
        _("Total spent"),
        _("Last purchase"),
    ]
    rows: list[list[Any]] = [header]  # rows[0] is the header

    cell_right = ParagraphStyle("cell-right", parent=cell, alignment=TA_RIGHT)

    def wrap(text: str, column: int) -> str | Paragraph:
        """Plain text when it fits on one line (fast); a wrapping paragraph otherwise."""
        if pdfmetrics.stringWidth(text, SANS, 8) <= widths[column] - pad:
            return text
        return paragraph(text, cell_right if column == 4 else cell)

    for batch in _batches(customers):
        numbers = _card_numbers(business, [c.pk for c in batch])
        for customer in batch:
            number = numbers.get(customer.pk, "")
            rows.append(
                [
                    format_card_number(number) if number else "—",
                    wrap(customer.name, 1),
                    wrap(format_phone(customer.phone) if customer.phone else "", 2),
                    wrap(customer.city, 3),
                    wrap(money_text(customer.total_spent_minor, business.currency), 4),
                    wrap(_date_text(customer.last_purchase_at, business) or "—", 5),
                ]
            )
    count = len(rows) - 1
    printed = datetime_text(timezone.now(), business)
    title = _("Customer list")
    summary = [
        ngettext("%(count)s customer", "%(count)s customers", count)
        % {"count": format_count(count, _language(), business.country)},
        _("printed %(when)s") % {"when": printed},
    ]
    if filters_text := _filters_text(filters):
        summary.append(filters_text)
    story: list[Flowable] = [
        paragraph(title, styles["title"]),
        paragraph(business.name, styles["body"]),
        paragraph("  ·  ".join(summary), styles["muted"]),
        Spacer(1, 4 * mm),
    ]
    running_header = None
    if count == 0:
        story.append(paragraph(_("No customers match."), styles["body"]))
    else:
        # Chunks of rows, not one huge table: reportlab re-styles the rest of a table on every
        # page break, which makes one table of 20 000 rows quadratic. The header row is drawn
        # above the first chunk and, by the page template, at the top of every later page.
        story.append(_list_table([header], widths, is_header=True))
        for start in range(1, len(rows), _CHUNK_ROWS):
            story.append(_list_table(rows[start : start + _CHUNK_ROWS], widths, is_header=False))
        running_header = _list_table([header], widths, is_header=True)
    return build_pdf(
        story,
        business=business,
        title=title,
        footer_text=f"{business.name} · {title} · {printed}",
        running_header=running_header,
    )


# --------------------------------------------------------------------------------------------
# Enrolment poster


def _centred_paragraph(
    canvas: Canvas, text: str, style: ParagraphStyle, top: float, width: float
) -> float:
    """Draw `text` centred under `top`; returns the y of its bottom edge."""
    block = Paragraph(escape(text), style)
    _w, height = block.wrap(width, A4[1])
    block.drawOn(canvas, (A4[0] - width) / 2, top - height)
    return float(top - height)


def enrol_poster_pdf(business: Business, join_url: str) -> bytes:
    """An A4 poster for the counter: the business, a call to join, a large QR code of
    `join_url` and the address written out for those who type it."""
    register_fonts()
    page_w, page_h = A4
    buffer = io.BytesIO()
    canvas = _new_canvas(
        buffer, A4, _("Join our loyalty club: %(business)s") % {"business": business.name}
    )
    canvas.setAuthor(business.name)
    text_width = page_w - 40 * mm

    # Band with the business name.
    band = 62 * mm
    canvas.setFillColor(BRAND)
    canvas.rect(0, page_h - band, page_w, band, stroke=0, fill=1)
    radius = 10 * mm
    canvas.setFillColor(colors.white)
    canvas.circle(page_w / 2, page_h - 22 * mm, radius, stroke=0, fill=1)
    initials, size = _fit(_monogram(business.name), SANS_BOLD, 22, 1.6 * radius, 10)
    canvas.setFillColor(BRAND)
    canvas.setFont(SANS_BOLD, size)
    canvas.drawCentredString(page_w / 2, page_h - 22 * mm - size * 0.36, initials)
    name_style = ParagraphStyle(
        "poster-name",
        fontName=SANS_BOLD,
        fontSize=28,
        leading=32,
        alignment=TA_CENTER,
        textColor=colors.white,
    )
    name, size = _fit(business.name, SANS_BOLD, 28, text_width, 16)
    name_style.fontSize, name_style.leading = size, size * 1.15
    _centred_paragraph(canvas, name, name_style, page_h - 37 * mm, text_width)

    # Call to action.
    headline = ParagraphStyle(
        "poster-headline",
        fontName=SANS_BOLD,
        fontSize=30,
        leading=36,
        alignment=TA_CENTER,
        textColor=INK,
    )
    bottom = _centred_paragraph(
        canvas, _("Join our loyalty club"), headline, page_h - band - 14 * mm, text_width
    )
    lead = ParagraphStyle(
        "poster-lead", fontName=SANS, fontSize=14, leading=19, alignment=TA_CENTER, textColor=MUTED
    )
    bottom = _centred_paragraph(
        canvas,
        _(
            "Scan the code with your phone camera and fill in a short form. "
            "Your card works from your next purchase."
        ),
        lead,
        bottom - 5 * mm,
        text_width - 10 * mm,
    )

    # The QR code in a frame, as large as the room left (a long translation leaves less).
    lines = [line for line in (business.address, business.hours, _contact_line(business)) if line]
    contacts_top = 14 * mm + 5 * mm * len(lines)
    frame_pad = 7 * mm
    frame_top = bottom - 10 * mm
    room = frame_top - contacts_top - 26 * mm  # the address in text goes under the frame
    qr_size = max(40 * mm, min(100 * mm, room - 2 * frame_pad))
    frame_size = qr_size + 2 * frame_pad
    frame_x = (page_w - frame_size) / 2
    canvas.setStrokeColor(BRAND)
    canvas.setLineWidth(2)
    canvas.roundRect(frame_x, frame_top - frame_size, frame_size, frame_size, 6 * mm)
    canvas.setFillColor(colors.black)
    _draw_qr(canvas, join_url, frame_x + frame_pad, frame_top - frame_size + frame_pad, qr_size)

    # The address in text.
    y = frame_top - frame_size - 11 * mm
    canvas.setFont(SANS, 12)
    canvas.setFillColor(MUTED)
    canvas.drawCentredString(page_w / 2, y, _("No camera? Open this address:"))
    url, size = _fit(join_url, MONO_BOLD, 16, text_width, 8)
    canvas.setFont(MONO_BOLD, size)
    canvas.setFillColor(INK)
    canvas.drawCentredString(page_w / 2, y - 9 * mm, url)

    # Contacts at the bottom.
    canvas.setFont(SANS, 10)
    canvas.setFillColor(MUTED)
    y = 14 * mm + 5 * mm * (len(lines) - 1)
    for line in lines:
        text, size = _fit(line, SANS, 10, text_width, 7)
        canvas.setFont(SANS, size)
        canvas.drawCentredString(page_w / 2, y, text)
        y -= 5 * mm
    canvas.setFillColor(BRAND)
    canvas.rect(0, 0, page_w, 5 * mm, stroke=0, fill=1)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Data export (privacy request)

_FIELD_LABELS: dict[str, Any] = {
    "id": gettext_lazy("ID"),
    "name": gettext_lazy("Name"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("E-mail"),
    "city": gettext_lazy("City"),
    "language": gettext_lazy("Preferred language"),
    "birthday": gettext_lazy("Birthday"),
    "gender": gettext_lazy("Gender"),
    "notes": gettext_lazy("Service nuances"),
    "source": gettext_lazy("How they joined"),
    "created_at": gettext_lazy("Customer since"),
    "tags": gettext_lazy("Tags"),
    "first_purchase_at": gettext_lazy("First purchase"),
    "last_purchase_at": gettext_lazy("Last purchase"),
    "purchase_count": gettext_lazy("Number of purchases"),
    "total_spent_minor": gettext_lazy("Total spent"),
    "number": gettext_lazy("Number"),
    "status": gettext_lazy("Status"),
    "issued_at": gettext_lazy("Issued"),
    "placed_at": gettext_lazy("Date"),
    "total_minor": gettext_lazy("Total"),
    "discount_minor": gettext_lazy("Discount"),
    "refunded_minor": gettext_lazy("Refunded"),
    "currency": gettext_lazy("Currency"),
    "kind": gettext_lazy("Kind"),
    "summary": gettext_lazy("Summary"),
    "occurred_at": gettext_lazy("When"),
    "at": gettext_lazy("When"),
    "code": gettext_lazy("Code"),
    "amount": gettext_lazy("Amount"),
    "reason": gettext_lazy("Reason"),
    "reference": gettext_lazy("Reference"),
    "balance": gettext_lazy("Balance"),
    "available": gettext_lazy("Available"),
    "pending_in": gettext_lazy("Pending"),
    # the sections customers.privacy and the apps' privacy steps add
    "value": gettext_lazy("Value"),
    "origin": gettext_lazy("Where it came from"),
    "added_at": gettext_lazy("Added"),
    "preferred_channel": gettext_lazy("Preferred channel"),
    "details": gettext_lazy("Details"),
    "kept_record": gettext_lazy("Record kept"),
    "merged_record": gettext_lazy("Record merged into it"),
    "undone_at": gettext_lazy("Undone"),
    "profile_before": gettext_lazy("Profile before the merge"),
    "merged_profile": gettext_lazy("Profile of the merged record"),
    "file": gettext_lazy("File"),
    "uploaded_at": gettext_lazy("Uploaded"),
    "row": gettext_lazy("Row"),
    "column": gettext_lazy("Column"),
    "problem": gettext_lazy("Problem"),
    "started_at": gettext_lazy("Started"),
    "expires_at": gettext_lazy("Expires"),
    "form": gettext_lazy("Form"),
    "consents": gettext_lazy("Consents"),
    "ip_address": gettext_lazy("Internet address"),
    "user_agent": gettext_lazy("Browser"),
    "action": gettext_lazy("Action"),
    "order": gettext_lazy("Order"),
    "amount_minor": gettext_lazy("Amount"),
    "message": gettext_lazy("Message"),
    "outcome": gettext_lazy("Outcome"),
    "detail": gettext_lazy("Detail"),
    "payload": gettext_lazy("What the provider sent"),
    "received_at": gettext_lazy("Received"),
    "from": gettext_lazy("From"),
    "text": gettext_lazy("Text"),
    "rating": gettext_lazy("Rating"),
    "comment": gettext_lazy("Comment"),
    "channel": gettext_lazy("Channel"),
    "purpose": gettext_lazy("Purpose"),
    "to": gettext_lazy("To"),
    "subject": gettext_lazy("Subject"),
    "body": gettext_lazy("Text"),
    "sent_at": gettext_lazy("Sent"),
    "delivered_at": gettext_lazy("Delivered"),
    "clicked_at": gettext_lazy("Link opened"),
    "unsubscribed_at": gettext_lazy("Unsubscribed"),
    "link": gettext_lazy("Link"),
    "error": gettext_lazy("Error"),
    "provider_id": gettext_lazy("Provider's reference"),
    "paid_at": gettext_lazy("Paid"),
    "provider": gettext_lazy("Paid with"),
    "account": gettext_lazy("Account typed"),
    "payer_phone": gettext_lazy("Payer's number"),
    "payer_name": gettext_lazy("Payer's name"),
    "event": gettext_lazy("Event"),
    "recipient": gettext_lazy("Sent to"),
    "data": gettext_lazy("Data"),
    "answer": gettext_lazy("Answer"),
    "finished_at": gettext_lazy("Finished"),
}
_SECTION_TITLES: dict[str, Any] = {
    "profile": gettext_lazy("Profile"),
    "purchase_summary": gettext_lazy("Purchases"),
    "cards": gettext_lazy("Loyalty cards"),
    "consents": gettext_lazy("Consents"),
    "interactions": gettext_lazy("History"),
    "orders": gettext_lazy("Orders"),
    "wallet": gettext_lazy("Points and balances"),
    "balances": gettext_lazy("Balances"),
    "history": gettext_lazy("History"),
    "contacts": gettext_lazy("Other phones and e-mails"),
    "merges": gettext_lazy("Merged records"),
    "merged_records": gettext_lazy("Records merged into this one"),
    "imports": gettext_lazy("Imported files that named you"),
    "enrolments_waiting": gettext_lazy("Enrolments waiting for the SMS code"),
    "audit": gettext_lazy("What was done with your record"),
    "refunds": gettext_lazy("Refunds"),
    "messages": gettext_lazy("Messages sent to you"),
    "delivery_reports": gettext_lazy("Delivery reports"),
    "inbound_sms": gettext_lazy("SMS you sent"),
    "feedback": gettext_lazy("Your ratings"),
    "payments": gettext_lazy("Payments"),
    "sent_to_other_systems": gettext_lazy("Sent to other systems"),
    "payouts": gettext_lazy("Cashback paid out to M-Pesa"),
}
_CHOICES: dict[str, Any] = {
    "gender": Gender,
    "source": Source,
    "card_status": CardStatus,
    "channel": Channel,
    "consent_source": ConsentSource,
    "kind": InteractionKind,
    "task_status": TaskStatus,
}


def _choice(kind: str, value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        return str(_CHOICES[kind](value).label)
    except (KeyError, ValueError):
        return _humanize(str(value))


def _humanize(code: str) -> str:
    """A code as words: "partially_refunded" → "Partially refunded", translated when the
    catalogue has it (another app's choice labels are msgids there)."""
    text = code.replace("_", " ").strip().capitalize()
    return _(text) if text else ""


def _label(key: str) -> str:
    label = _FIELD_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ").capitalize()


def _title(key: str) -> str:
    title = _SECTION_TITLES.get(key)
    return str(title) if title is not None else _label(key)


def _language_name(code: str) -> str:
    return next((str(name) for c, name in settings.LANGUAGES if c == code), code)


def _birthday(value: Any) -> str:
    if not isinstance(value, dict):
        return str(value or "")
    day, month, year = value.get("day"), value.get("month"), value.get("year")
    if day and month:
        try:
            if year:
                return str(format_date(dt.date(year, month, day), "long", locale=_locale_name()))
            return f"{day:02d}.{month:02d}"
        except (ValueError, TypeError):
            pass
    return ".".join(
        f"{part:02d}" if part < 100 else str(part) for part in (day, month, year) if part
    )


def _value_text(key: str, value: Any, business: Business, currency: str) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key.endswith("_minor") and isinstance(value, int):
        return money_text(value, currency)
    if key.endswith("_at") or key in ("at", "date"):
        return datetime_text(value, business)
    if key == "channel" and isinstance(value, str):
        return _choice("channel", value)
    if key in ("status", "kind", "purpose", "outcome", "action", "provider", "origin") and (
        isinstance(value, str)
    ):
        return _humanize(value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(
            f"{_label(k)}: {_value_text(k, v, business, currency)}" for k, v in value.items()
        )
    return str(value)


def _key_values(pairs: Sequence[tuple[str, str]], styles: dict[str, ParagraphStyle]) -> Table:
    rows = [
        [paragraph(label, styles["muted"]), paragraph(value, styles["body"])]
        for label, value in pairs
    ]
    table = Table(rows, colWidths=[45 * mm, FRAME_WIDTH - 45 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SANS, 8),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
            ]
        )
    )
    return table


def _grid(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float | None],
    styles: dict[str, ParagraphStyle],
) -> LongTable:
    free = [index for index, width in enumerate(widths) if width is None]
    rest = FRAME_WIDTH - sum(width for width in widths if width is not None)
    col_widths = [rest / len(free) if width is None else width for width in widths]
    data: list[list[Any]] = [[paragraph(text, styles["small"]) for text in header]]
    for row in rows:
        data.append(
            [
                cell if isinstance(cell, Flowable) else paragraph(cell, styles["cell"])
                for cell in row
            ]
        )
    table = LongTable(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), BRAND_TINT),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, BRAND),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, LINE),
                ("FONT", (0, 0), (-1, -1), SANS, 8),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 1.5 * mm),
                ("RIGHTPADDING", (0, 0), (-1, -1), 1.5 * mm),
            ]
        )
    )
    return table


def _consent_block(
    consent: dict[str, Any], business: Business, styles: dict[str, ParagraphStyle]
) -> Flowable:
    channel = _choice("channel", consent.get("channel"))
    purpose = str(consent.get("purpose") or "")
    decision = _("Agreed") if consent.get("granted") else _("Withdrew")
    heading = f"<b>{escape(decision)}</b>: {escape(channel)}" + (
        f" · {escape(purpose)}" if purpose else ""
    )
    meta = _("Recorded %(when)s · %(how)s") % {
        "when": datetime_text(consent.get("recorded_at"), business),
        "how": _choice("consent_source", consent.get("source")),
    }
    text = str(consent.get("text") or "")
    shown = (
        paragraph(text, styles["quote"])
        if text
        else paragraph(_("(no text recorded)"), styles["muted"])
    )
    box = Table(
        [[Paragraph(heading, styles["body"])], [paragraph(meta, styles["muted"])], [shown]],
        colWidths=[FRAME_WIDTH],
        hAlign="LEFT",
    )
    box.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SANS, 8),
                ("BOX", (0, 0), (-1, -1), 0.5, LINE),
                ("LINEBEFORE", (0, 0), (0, -1), 2.5, BRAND if consent.get("granted") else MUTED),
                ("BACKGROUND", (0, 2), (-1, 2), ZEBRA),
                ("LEFTPADDING", (0, 0), (-1, -1), 3 * mm),
                ("TOPPADDING", (0, 2), (-1, 2), 4),
                ("BOTTOMPADDING", (0, 2), (-1, 2), 5),
            ]
        )
    )
    return KeepTogether([box, Spacer(1, 2.5 * mm)])


def _is_rows(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(i, dict) for i in value)


def _is_keyed_rows(value: Any) -> bool:
    """{"points": {"balance": 10, ...}, "cashback": {...}}: one row per key."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(v, dict) and v for v in value.values())
        and all(not isinstance(x, (dict, list)) for v in value.values() for x in v.values())
    )


def _generic_section(
    value: Any, business: Business, currency: str, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    """A section added by another app (see customers.hooks), whatever its shape: a list of
    records becomes a table, a mapping a list of facts, nested parts get a sub-heading."""
    if value in (None, "", [], {}):
        return [paragraph(_("None."), styles["muted"])]
    if _is_rows(value):
        keys = list(dict.fromkeys(k for item in value for k in item if k != "currency"))
        rows = [
            [
                _value_text(key, item.get(key), business, str(item.get("currency") or currency))
                for key in keys
            ]
            for item in value
        ]
        return [_grid([_label(key) for key in keys], rows, [None] * len(keys), styles)]
    if _is_keyed_rows(value):
        keys = list(dict.fromkeys(k for inner in value.values() for k in inner))
        rows = [
            [_humanize(str(name))]
            + [_value_text(key, inner.get(key), business, currency) for key in keys]
            for name, inner in value.items()
        ]
        return [_grid(["", *(_label(key) for key in keys)], rows, [None] * (len(keys) + 1), styles)]
    if isinstance(value, dict):
        # Plain facts first, then each nested part under its own sub-heading.
        nested = {k: v for k, v in value.items() if _is_rows(v) or isinstance(v, dict)}
        pairs = [
            (_label(key), _value_text(key, item, business, currency))
            for key, item in value.items()
            if key not in nested
        ]
        flowables: list[Flowable] = [_key_values(pairs, styles)] if pairs else []
        for key, item in nested.items():
            flowables.append(paragraph(_title(key), styles["h3"]))
            flowables.extend(_generic_section(item, business, currency, styles))
        return flowables
    return [paragraph(_value_text("", value, business, currency), styles["body"])]


def data_export_pdf(business: Business, export: dict[str, Any]) -> bytes:
    """A readable PDF of what `customers.privacy.customer_data_export` returns: profile,
    purchases, cards, consents with the text shown and when, history, orders (and any other
    section an app adds), with dates in the business time zone."""
    styles = pdf_styles()
    profile: dict[str, Any] = export.get("profile") or {}
    summary: dict[str, Any] = export.get("purchase_summary") or {}
    currency = str(summary.get("currency") or business.currency)
    name = str(profile.get("name") or "")
    exported = datetime_text(export.get("exported_at") or timezone.now(), business)
    title = _("Personal data export")
    story: list[Flowable] = [
        paragraph(title, styles["title"]),
        paragraph(
            _(
                "All the personal data %(business)s holds about %(name)s, exported on "
                "%(when)s. Times are in the %(zone)s time zone."
            )
            % {
                "business": business.name,
                "name": name,
                "when": exported,
                "zone": business.timezone,
            },
            styles["body"],
        ),
    ]
    contact = (export.get("business") or {}).get("contact") or {}
    contact_parts = [
        format_phone(contact["phone"]) if contact.get("phone") else "",
        str(contact.get("email") or ""),
    ]
    if contact_text := "  ·  ".join(part for part in contact_parts if part):
        story.append(
            paragraph(
                _("Questions or corrections: %(contact)s") % {"contact": contact_text},
                styles["muted"],
            )
        )

    story.append(paragraph(_SECTION_TITLES["profile"], styles["h2"]))
    pairs = []
    for key in (
        "name",
        "phone",
        "email",
        "city",
        "language",
        "birthday",
        "gender",
        "notes",
        "source",
        "tags",
        "created_at",
        "id",
    ):
        value = profile.get(key)
        if key == "phone" and value:
            text = format_phone(str(value))
        elif key == "language" and value:
            text = _language_name(str(value))
        elif key == "birthday":
            text = _birthday(value) or "—"
        elif key in ("gender", "source") and value:
            text = _choice(key, value)
        else:
            text = _value_text(key, value, business, currency)
        pairs.append((_("Customer number") if key == "id" else _label(key), text))
    story.append(_key_values(pairs, styles))

    story.append(paragraph(_SECTION_TITLES["purchase_summary"], styles["h2"]))
    story.append(
        _key_values(
            [
                (_label(key), _value_text(key, summary.get(key), business, currency))
                for key in (
                    "purchase_count",
                    "total_spent_minor",
                    "first_purchase_at",
                    "last_purchase_at",
                )
            ],
            styles,
        )
    )

    story.append(paragraph(_SECTION_TITLES["cards"], styles["h2"]))
    cards = export.get("cards") or []
    if cards:
        story.append(
            _grid(
                [_label("number"), _label("status"), _label("issued_at")],
                [
                    [
                        format_card_number(str(card.get("number", ""))),
                        _choice("card_status", card.get("status")),
                        datetime_text(card.get("issued_at"), business),
                    ]
                    for card in cards
                ],
                [50 * mm, 35 * mm, None],
                styles,
            )
        )
    else:
        story.append(paragraph(_("None."), styles["muted"]))

    story.append(paragraph(_SECTION_TITLES["consents"], styles["h2"]))
    consents = export.get("consents") or []
    if consents:
        story.append(
            paragraph(
                _("Every agreement and withdrawal, oldest first, with the exact text shown."),
                styles["muted"],
            )
        )
        story.append(Spacer(1, 2 * mm))
        story.extend(_consent_block(consent, business, styles) for consent in consents)
    else:
        story.append(paragraph(_("None."), styles["muted"]))

    story.append(paragraph(_SECTION_TITLES["interactions"], styles["h2"]))
    interactions = export.get("interactions") or []
    if interactions:
        rows = []
        for item in interactions:
            what = escape(str(item.get("summary") or ""))
            if item.get("body"):
                what += f'<br/><font color="#5d6675">{escape(str(item["body"]))}</font>'.replace(
                    "\n", "<br/>"
                )
            rows.append(
                [
                    datetime_text(item.get("occurred_at"), business),
                    _choice("kind", item.get("kind")),
                    Paragraph(what, styles["cell"]),
                    _choice("task_status", item.get("status")),
                ]
            )
        story.append(
            _grid(
                [_label("occurred_at"), _label("kind"), _label("summary"), _label("status")],
                rows,
                [40 * mm, 28 * mm, None, 24 * mm],
                styles,
            )
        )
    else:
        story.append(paragraph(_("None."), styles["muted"]))

    known = {
        "exported_at",
        "business",
        "profile",
        "purchase_summary",
        "cards",
        "consents",
        "interactions",
    }
    for key, value in export.items():
        if key in known:
            continue
        story.append(paragraph(_title(key), styles["h2"]))
        story.extend(_generic_section(value, business, currency, styles))

    return build_pdf(
        story,
        business=business,
        title=title,
        footer_text=f"{business.name} · {title} · {name}",
    )
