"""Template filters that draw a loyalty card's codes as inline SVG:
``{{ card.number|qr_svg }}`` and ``{{ card.number|code128_svg }}`` (see customers.codes)."""

from __future__ import annotations

from django import template

from wateja.customers import codes

register = template.Library()


@register.filter
def qr_svg(value: str) -> str:
    """A QR code of the value; empty for an empty value."""
    return codes.qr_svg(str(value)) if value else ""


@register.filter
def code128_svg(value: str) -> str:
    """A Code128 barcode of the digits; empty unless the value is all digits."""
    text = str(value or "")
    return codes.code128_svg(text) if text.isdigit() and text.isascii() else ""
