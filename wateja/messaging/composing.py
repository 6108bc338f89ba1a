"""Templates and their variants: saving with placeholder checks, choosing a variant and a
language for a customer, and filling in the placeholders (in bulk for campaigns)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min, Sum
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from wateja.core import sms
from wateja.core.errors import Conflict, ValidationFailed
from wateja.core.sending import first_name, pick_variant
from wateja.core.templating import PLACEHOLDERS, TemplateProblem, check_template, render
from wateja.customers.links import card_page_token, public_url
from wateja.customers.models import Card, CardStatus, Customer
from wateja.messaging.models import Purpose, SendChannel, Template, Variant
from wateja.tenants.models import Business
from wateja.wallet.models import Account, Kind, Lot

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)
SMS_BODY_LIMIT = 1000  # about 7 GSM-7 or 15 UCS-2 segments: longer is a letter, not an SMS
WHATSAPP_NAME = re.compile(r"^[a-z0-9_]{1,512}$")  # as Meta names an approved template


def _invalid(errors: dict[str, Any]) -> ValidationFailed:
    return ValidationFailed.fields(_("Some fields are not valid."), errors)


def _check_text(text: str, path: str, errors: dict[str, Any]) -> None:
    try:
        check_template(text)
    except TemplateProblem as problem:
        if problem.unknown:
            errors[path] = _("Unknown placeholder: %(names)s. Use one of: %(allowed)s.") % {
                "names": ", ".join("{" + n + "}" for n in problem.unknown),
                "allowed": ", ".join("{" + n + "}" for n in PLACEHOLDERS),
            }
        else:
            errors[path] = _("A brace is not closed; write {{ or }} for a literal brace.")


def clean_variants(channel: str, variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validated variants: at least one, labels unique, texts per known language, every
    placeholder known (the error names the unknown one and where it is)."""
    errors: dict[str, Any] = {}
    if not variants:
        raise _invalid({"variants": _("Add at least one wording.")})
    cleaned: list[dict[str, Any]] = []
    labels: set[str] = set()
    for i, variant in enumerate(variants):
        label = str(variant.get("label") or chr(ord("A") + i)).strip()[:20]
        if label in labels:
            errors[f"variants.{i}.label"] = _("Each variant needs its own label.")
        labels.add(label)
        try:
            weight = int(variant.get("weight", 1))
        except (TypeError, ValueError):
            weight = -1
        if weight < 0 or weight > 1000:
            errors[f"variants.{i}.weight"] = _("Enter a share from 0 to 1000.")
        texts: dict[str, dict[str, str]] = {}
        for language, text in (variant.get("texts") or {}).items():
            path = f"variants.{i}.texts.{language}"
            if language not in LANGUAGE_CODES:
                errors[path] = _("Unknown language.")
                continue
            body = str((text or {}).get("body", "")).strip()
            subject = str((text or {}).get("subject", "")).strip()
            if not body:
                continue
            _check_text(body, f"{path}.body", errors)
            if channel == SendChannel.EMAIL:
                if not subject:
                    errors[f"{path}.subject"] = _("An e-mail needs a subject.")
                _check_text(subject, f"{path}.subject", errors)
            elif len(body) > SMS_BODY_LIMIT:
                errors[f"{path}.body"] = _("An SMS can hold at most %(n)s characters.") % {
                    "n": SMS_BODY_LIMIT
                }
            texts[language] = {"subject": subject, "body": body}
        if not texts and f"variants.{i}.texts" not in errors:
            errors[f"variants.{i}.texts"] = _("Write the text in at least one language.")
        cleaned.append({"label": label, "weight": weight, "texts": texts})
    if cleaned and not any(v["weight"] > 0 for v in cleaned):
        errors["variants"] = _("At least one variant needs a share above 0.")
    if errors:
        raise _invalid(errors)
    return cleaned


@transaction.atomic
def template_save(
    *,
    business: Business,
    name: str,
    channel: str,
    purpose: str = Purpose.MARKETING,
    variants: list[dict[str, Any]],
    template: Template | None = None,
    whatsapp_name: str | None = None,
) -> Template:
    """Create a template, or replace the wording of `template`; variants keep their rows
    (and their results) by label. `whatsapp_name`: the name Meta approved an SMS template's
    wording under ("" clears it, None keeps it)."""
    errors: dict[str, Any] = {}
    name = name.strip()
    if not name:
        errors["name"] = _("Enter a name.")
    if whatsapp_name is not None:
        whatsapp_name = whatsapp_name.strip()
        if whatsapp_name and channel != SendChannel.SMS:
            errors["whatsapp_name"] = _("Only an SMS template's wording goes on WhatsApp.")
        elif whatsapp_name and not WHATSAPP_NAME.match(whatsapp_name):
            errors["whatsapp_name"] = _(
                "Write the name exactly as Meta approved it: lowercase letters, digits and "
                "underscores, e.g. weekly_offer."
            )
    if channel not in SendChannel.values:
        errors["channel"] = _("Unknown value.")
    if purpose not in Purpose.values:
        errors["purpose"] = _("Unknown value.")
    if errors:
        raise _invalid(errors)
    cleaned = clean_variants(channel, variants)
    try:
        with transaction.atomic():
            if template is None:
                template = Template.objects.create(
                    business=business,
                    name=name,
                    channel=channel,
                    purpose=purpose,
                    whatsapp_name=whatsapp_name or "",
                )
            else:
                template.name, template.purpose = name, purpose
                if whatsapp_name is not None:
                    template.whatsapp_name = whatsapp_name
                template.save(update_fields=["name", "purpose", "whatsapp_name"])
    except IntegrityError:
        raise Conflict(
            _("A template with this name already exists."), code="template_exists"
        ) from None
    kept = {v.label: v for v in Variant.objects.filter(template=template)}
    for item in cleaned:
        row = kept.pop(item["label"], None)
        if row is None:
            Variant.objects.create(business=business, template=template, is_active=True, **item)
        else:
            row.weight, row.texts, row.is_active = item["weight"], item["texts"], True
            row.save(update_fields=["weight", "texts", "is_active"])
    for row in kept.values():  # dropped wordings stop being sent; their results stay
        row.is_active = False
        row.save(update_fields=["is_active"])
    return template


def active_variants(template: Template) -> list[Variant]:
    return list(template.variants.filter(is_active=True).order_by("label"))


def choose_variant(variants: list[Variant], salt: str, customer_id: int) -> Variant:
    index = pick_variant(salt, customer_id, [v.weight for v in variants])
    return variants[index]


def customer_language(customer: Customer | None, business: Business) -> str:
    """The language to write to a customer in: theirs, else the business's."""
    return (customer.language if customer else "") or business.default_language


def choose_language(customer_language: str, business: Business, texts: Mapping[str, Any]) -> str:
    """The customer's language when the wording has it, else the business's, else English,
    else whatever the wording is written in."""
    for language in (customer_language, business.default_language, "en"):
        if language and language in texts:
            return language
    return next(iter(texts))


@dataclass(frozen=True)
class Composed:
    language: str
    subject: str
    body: str
    segments: int = 0
    cost_minor: int = 0


def _opt_out_line(language: str) -> str:
    with translation.override(language):
        return _("Reply STOP to opt out")


def compose(
    *,
    business: Business,
    variant: Variant,
    channel: str,
    purpose: str,
    customer_language: str,
    values: Mapping[str, object],
    sms_price_minor: int = 0,
) -> Composed:
    """One customer's message from a variant. Marketing SMS end with the free opt-out line the
    law asks for; SMS text is normalised for GSM-7 where that is cheaper, then counted."""
    language = choose_language(customer_language, business, variant.texts)
    text = variant.texts[language]
    body = render(text["body"], values).strip()
    if channel == SendChannel.SMS:
        if purpose == Purpose.MARKETING:
            body = f"{body}\n{_opt_out_line(language)}"
        body = sms.prepare_sms(body)
        info = sms.sms_info(body, normalize=False)
        return Composed(language, "", body, info.segments, info.segments * sms_price_minor)
    subject = render(text.get("subject", ""), values).strip()
    return Composed(language, subject, body)


def support_line(business: Business) -> str:
    return " / ".join(p for p in (business.support_phone, business.support_email) if p)


def _local_date(business: Business, at: dt.datetime, language: str) -> str:
    local = at.astimezone(zoneinfo.ZoneInfo(business.timezone))
    with translation.override(language):
        return formats.date_format(local.date(), "SHORT_DATE_FORMAT")


def customer_values(
    *,
    business: Business,
    customers: Iterable[Customer],
    needed: Iterable[str],
    base: Mapping[str, object] | None = None,
    now: dt.datetime | None = None,
) -> dict[int, dict[str, object]]:
    """Placeholder values per customer id. Only what the wording uses is looked up, in one
    query per kind of value for the whole batch."""
    now = now or timezone.now()
    people = list(customers)
    ids = [c.pk for c in people]
    needed_set = set(needed)
    common: dict[str, object] = {"shop": business.name, "support": support_line(business)}
    common.update(base or {})
    cards: dict[int, Card] = {}
    if needed_set & {"card", "link"}:
        for card in Card.objects.filter(
            business=business, customer_id__in=ids, status=CardStatus.ACTIVE
        ):
            cards[card.customer_id] = card
    balances: dict[int, int] = {}
    if "balance" in needed_set:
        balances = dict(
            Account.objects.filter(
                business=business, customer_id__in=ids, kind=Kind.POINTS
            ).values_list("customer_id", "balance")
        )
    expiring: dict[int, tuple[int, dt.datetime]] = {}
    if needed_set & {"expiring_points", "expiry_date"}:
        rows = (
            Lot.objects.filter(
                business=business,
                account__customer_id__in=ids,
                account__kind=Kind.POINTS,
                remaining__gt=0,
                expired_at__isnull=True,
                expires_at__gt=now,
                expires_at__lte=now + dt.timedelta(days=30),
            )
            .values("account__customer_id")
            .annotate(total=Sum("remaining"), first=Min("expires_at"))
        )
        expiring = {r["account__customer_id"]: (r["total"], r["first"]) for r in rows}
    result: dict[int, dict[str, object]] = {}
    for customer in people:
        language = customer_language(customer, business)
        values = dict(common)
        values["name"] = first_name(customer.name) or _greeting_without_name(language)
        card = cards.get(customer.pk)
        values["card"] = card.number if card else ""
        if "link" not in values and card is not None:
            values["link"] = public_url(f"/my/{card_page_token(card)}/")
        values["balance"] = balances.get(customer.pk, 0)
        if customer.pk in expiring:
            total, first = expiring[customer.pk]
            values["expiring_points"] = total
            values["expiry_date"] = _local_date(business, first, language)
        else:
            values["expiring_points"] = 0
            values["expiry_date"] = ""
        result[customer.pk] = values
    return result


def _greeting_without_name(language: str) -> str:
    """What {name} says when the typed name is no name (a link, digits): never the text."""
    with translation.override(language):
        return _("friend")


def needed_placeholders(variants: Iterable[Variant]) -> set[str]:
    names: set[str] = set()
    for variant in variants:
        for text in variant.texts.values():
            names.update(check_template(text.get("body", "")))
            names.update(check_template(text.get("subject", "")))
    return names
