"""Template tags for offers: an offer in plain words (wateja.promotions.describe)."""

from __future__ import annotations

from typing import Any

from django import template

from wateja.promotions.describe import describe
from wateja.promotions.models import Promotion

register = template.Library()


@register.simple_tag
def offer_words(promotion: Promotion) -> dict[str, Any]:
    """{% offer_words promotion as words %}: words.what (a sentence) and words.rules."""
    return describe(promotion)
