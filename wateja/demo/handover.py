"""Demo data of the contact handover: the café's own keyword PROMO for its offers (and SAWA
for yes), the flower shop's ԾԱՂԻԿ for its offers; both answer like the built-in words."""

from __future__ import annotations

from wateja.messaging.keywords import keywords_update
from wateja.tenants.models import Business

OWN_KEYWORDS: dict[str, dict[str, str]] = {
    "KE": {"offers": "PROMO", "yes": "SAWA"},
    "AM": {"offers": "ԾԱՂԻԿ"},
}


def seed_handover(business: Business) -> dict[str, int]:
    words = OWN_KEYWORDS.get(business.country.upper(), {})
    saved = keywords_update(business=business, words=words) if words else {}
    return {"own_keywords": sum(len(listed) for listed in saved.values())}
