"""Scannable codes for web pages: a QR code and a Code128 barcode as inline SVG markup.

Both are built in memory (no temporary files) and returned as safe strings ready to drop into
a template; the PDFs draw their own codes with reportlab (see customers.printing). A phone
camera or a till scanner reads either from the screen."""

from __future__ import annotations

import re
from html import escape

import barcode
import qrcode
import qrcode.image.svg
from barcode.writer import SVGWriter
from django.utils.safestring import mark_safe

__all__ = ["code128_svg", "qr_svg"]

_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_STYLE = re.compile(r'style="([^"]*)"')
_CSS_PX_MM = 25.4 / 96  # one CSS pixel in millimetres


def _style_to_attributes(match: re.Match[str]) -> str:
    """style="fill:black;font-size:9pt" → fill="black" font-size="9pt": presentation
    attributes still apply under a Content-Security-Policy that blocks inline styles."""
    pairs = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
    return " ".join(f'{name.strip()}="{escape(value.strip())}"' for name, value in pairs)


def _tidy(svg: str, *, css_class: str, label: str) -> str:
    """The bare <svg> element, labelled for screen readers, without ids that would clash
    when several codes are on one page."""
    svg = _COMMENT.sub("", _PROLOGUE.sub("", svg, count=1))
    svg = re.sub(r'\s+id="[^"]*"', "", svg)
    svg = _STYLE.sub(_style_to_attributes, svg)
    attributes = f'<svg class="{css_class}" role="img" aria-label="{escape(label, quote=True)}"'
    return attributes + svg.strip()[len("<svg") :]


def qr_svg(text: str, *, size_mm: int = 32, label: str | None = None) -> str:
    """An SVG QR code of `text` (error correction M), `size_mm` wide including the quiet
    zone; `label` (default: the text) is read out by screen readers."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image()
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r'(?<=\s)width="[^"]*"', f'width="{size_mm}mm"', svg, count=1)
    svg = re.sub(r'(?<=\s)height="[^"]*"', f'height="{size_mm}mm"', svg, count=1)
    svg = _tidy(svg, css_class="qr-code", label=label or text)
    # A white quiet zone, so the code scans on any page background.
    opening = svg.index(">") + 1
    svg = f'{svg[:opening]}<rect width="100%" height="100%" fill="white"/>{svg[opening:]}'
    # The markup holds only path data and our own escaped attributes.
    return mark_safe(svg)  # noqa: S308


def code128_svg(digits: str, *, label: str | None = None) -> str:
    """An SVG Code128 barcode of `digits` (charset C), with the digits printed under it;
    raises ValueError for anything but digits."""
    if not digits.isdigit() or not digits.isascii():
        raise ValueError("code128_svg expects digits only")
    rendered = barcode.Code128(digits, writer=SVGWriter()).render(
        writer_options={
            "module_width": _CSS_PX_MM * 2,  # whole screen pixels: crisp bars for scanners
            "module_height": 14.0,
            "quiet_zone": 3.5,
            "font_size": 9,
            "text_distance": 4.0,
            "background": "white",
            "foreground": "black",
        }
    )
    svg = rendered.decode("utf-8") if isinstance(rendered, bytes) else str(rendered)
    # Digits only went in, so the markup carries no user text.
    return mark_safe(_tidy(svg, css_class="barcode", label=label or digits))  # noqa: S308
