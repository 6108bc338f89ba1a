"""Partner base exchange: a business shares with a partner only the customers who agreed to
that partner, as a file that carries the proof of each consent.

Consent to share with a partner is a Consent row with channel "partner" and purpose
`partner_consent_purpose(name)` ("partner:<slug>"); the latest row per customer is the state,
so a withdrawal after an earlier agreement keeps the customer out. The file holds the name
and contacts only (what the consent text promises), and per customer the consent reference
(its id), when it was recorded and the text the customer agreed to; every export is written
to the audit log. The partner imports the file through the ordinary import, which recognises
these columns, marks the customers as coming from a partner and keeps the reference on each
customer's timeline.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.models import User
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from wateja.core.errors import NotFound, ValidationFailed
from wateja.core.localtime import local_today
from wateja.customers.exporting import PARTNER_COLUMNS, ExportFile, check_format, table_file
from wateja.customers.models import Channel, Consent, Customer
from wateja.customers.selectors import active_customers
from wateja.tenants.models import ApiKey, Business
from wateja.tenants.services import audit_record

PURPOSE_PREFIX = "partner:"


def partner_consent_purpose(partner_name: str) -> str:
    """The consent purpose for sharing with a partner: "Maua Flowers" → "partner:maua-flowers"
    (letters of any script are kept: "Ծաղիկ" → "partner:ծաղիկ")."""
    slug = slugify(str(partner_name or "").strip(), allow_unicode=True)[:90]
    if not slug:
        raise ValidationFailed.fields(
            _("Some fields are not valid."), {"partner": _("Enter the partner's name.")}
        )
    return PURPOSE_PREFIX + slug


def partner_consenting_customers(business: Business, partner_name: str) -> QuerySet[Customer]:
    """Active customers whose latest consent for this partner is an agreement, annotated with
    that consent's id, time and text."""
    latest = Consent.objects.filter(
        customer=OuterRef("pk"),
        channel=Channel.PARTNER,
        purpose=partner_consent_purpose(partner_name),
    ).order_by("-recorded_at", "-id")
    return (
        active_customers(business)
        .annotate(
            partner_consent_granted=Subquery(latest.values("granted")[:1]),
            partner_consent_id=Subquery(latest.values("id")[:1]),
            partner_consent_at=Subquery(latest.values("recorded_at")[:1]),
            partner_consent_text=Subquery(latest.values("text")[:1]),
        )
        .filter(partner_consent_granted=True)
        .order_by("pk")
    )


def partner_share_export(
    *,
    business: Business,
    partner_name: str,
    fmt: str = "csv",
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> ExportFile:
    """The file to hand to a partner. NotFound when no customer ever answered about this
    partner (a name typed wrong, or another business's partner)."""
    check_format(fmt)
    purpose = partner_consent_purpose(partner_name)
    if (
        not Consent.objects.for_business(business)
        .filter(channel=Channel.PARTNER, purpose=purpose)
        .exists()
    ):
        raise NotFound(
            _("No customer has agreed to share their details with this partner."),
            details={"object": "partner", "purpose": purpose},
        )
    customers = partner_consenting_customers(business, partner_name)
    count = customers.count()
    audit_record(
        business=business,
        action="partner.share_export",
        object_type="partner",
        object_id=purpose,
        actor=actor,
        api_key=api_key,
        details={"partner": partner_name, "purpose": purpose, "format": fmt, "rows": count},
    )
    stamp = local_today(business.timezone).isoformat()
    language = translation.get_language() or "en"

    def rows() -> Iterator[list[Any]]:
        with translation.override(language):
            for customer in customers.iterator(chunk_size=2000):
                yield [
                    customer.name,
                    customer.phone,
                    customer.email,
                    customer.partner_consent_id,  # type: ignore[attr-defined]
                    customer.partner_consent_at.astimezone(  # type: ignore[attr-defined]
                        zoneinfo.ZoneInfo("UTC")
                    ).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    customer.partner_consent_text,  # type: ignore[attr-defined]
                    business.name,
                ]

    return table_file(
        fmt,
        f"{purpose.replace(':', '-')}-{business.slug}-{stamp}",
        [str(label) for _key, label in PARTNER_COLUMNS],
        rows(),
        title=_("Shared customers"),
    )
