"""Reads for the staff messaging screens: the SMS counter (with each chat app's length limit)
and template preview with sample values, the overview lists (campaigns with results,
automations of every kind, templates, the latest chat messages), the chat apps' callback
addresses, and a customer's message log and linked chats. Nothing here writes except
`messaging_settings`, which creates the business's settings row on first use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from wateja.core import sms
from wateja.core.localtime import local_date
from wateja.core.templating import PLACEHOLDERS, TemplateProblem, check_template
from wateja.customers.links import public_url
from wateja.customers.models import Consent, Customer
from wateja.messaging.composing import compose, support_line
from wateja.messaging.config import messaging_settings, messengers_on
from wateja.messaging.models import (
    MESSENGERS,
    Automation,
    AutomationKind,
    Campaign,
    Conversion,
    InboundMessage,
    Message,
    MessageStatus,
    MessagingSettings,
    MessengerContact,
    Purpose,
    SendChannel,
    Template,
    Variant,
)
from wateja.messaging.selectors import automation_results, campaigns_list, customer_messages
from wateja.tenants.models import Business

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)
SAMPLE_NAMES = {"en": "Amina", "sw": "Amina", "hy": "Անի", "ru": "Анна"}
SAMPLE_CARD = "123456789012"
SAMPLE_LINK_PATH = "/r/Xq7Tz2Lm9Pw4Rk8Nc3Vb5Hd1/"  # as long as a real tracked link
# the longest text each chat app takes (WhatsApp Cloud API text body, Telegram sendMessage,
# Viber send_message); an approved WhatsApp template's body holds at most 1,024
CHAT_LIMITS: dict[str, int] = {"whatsapp": 4096, "telegram": 4096, "viber": 7000}
WHATSAPP_TEMPLATE_LIMIT = 1024


def languages_for(business: Business) -> list[str]:
    """The languages a template can be written in, the business's own first."""
    first = business.default_language if business.default_language in LANGUAGE_CODES else "en"
    return [first, *(code for code in LANGUAGE_CODES if code != first)]


def sample_values(business: Business, language: str) -> dict[str, object]:
    """Placeholder values for previews: plain examples of realistic length, in `language`."""
    expiry = local_date(timezone.now() + dt.timedelta(days=14), business.timezone)
    with translation.override(language):
        offer = _("10% off your next visit")
        expiry_date = formats.date_format(expiry, "SHORT_DATE_FORMAT")
    return {
        "name": SAMPLE_NAMES.get(language, "Amina"),
        "balance": 250,
        "expiring_points": 50,
        "expiry_date": expiry_date,
        "offer": offer,
        "code": "KARIBU10",
        "shop": business.name,
        "support": support_line(business),
        "card": SAMPLE_CARD,
        "link": public_url(SAMPLE_LINK_PATH),
    }


def template_problem(text: str) -> str:
    """What is wrong with a template text (unknown placeholder, stray brace), or ""."""
    try:
        check_template(text)
    except TemplateProblem as problem:
        if problem.unknown:
            return _("Unknown placeholder: %(names)s. Use one of: %(allowed)s.") % {
                "names": ", ".join("{" + n + "}" for n in problem.unknown),
                "allowed": ", ".join("{" + n + "}" for n in PLACEHOLDERS),
            }
        return _("A brace is not closed; write {{ or }} for a literal brace.")
    return ""


def _composed(
    business: Business,
    *,
    channel: str,
    purpose: str,
    language: str,
    subject: str,
    body: str,
    price: int,
) -> dict[str, Any]:
    variant = Variant(texts={language: {"subject": subject, "body": body}})
    composed = compose(
        business=business,
        variant=variant,
        channel=channel,
        purpose=purpose,
        customer_language=language,
        values=sample_values(business, language),
        sms_price_minor=price,
    )
    result: dict[str, Any] = {
        "language": language,
        "subject": composed.subject,
        "body": composed.body,
        "segments": composed.segments,
        "cost_minor": composed.cost_minor,
        "encoding": "",
    }
    if channel == SendChannel.SMS:
        result["encoding"] = sms.sms_info(composed.body, normalize=False).encoding
    return result


def sms_counter(
    *, business: Business, text: str, language: str, purpose: str, whatsapp_name: str = ""
) -> dict[str, Any]:
    """The SMS counter of the editor: characters, encoding, segments and room left, counted on
    the message as it is sent (placeholders filled with sample values, a marketing SMS with its
    opt-out line), with the characters that force UCS-2 when the text is otherwise GSM-7; and
    `chats`, the length against each limit of the chat apps the business uses (the wording of
    an SMS template goes there too)."""
    language = language if language in LANGUAGE_CODES else business.default_language
    if not text.strip():
        info = sms.sms_info("")
        return {"empty": True, "info": info, "typed": 0, "forcing": [], "chats": []}
    sent = _composed(
        business,
        channel=SendChannel.SMS,
        purpose=purpose,
        language=language,
        subject="",
        body=text,
        price=0,
    )["body"]
    info = sms.sms_info(sent, normalize=False)
    forcing: list[str] = []
    if info.encoding == "UCS-2":
        normalized = sms.normalize_for_gsm(text)
        forcing = sorted({c for c in normalized if not sms.is_gsm7(c)})
        if len(forcing) > 5:  # a text in another script, not a stray character
            forcing = []
    return {
        "empty": False,
        "info": info,
        "typed": len(text),
        "forcing": forcing,
        "chats": chat_counters(
            business=business,
            text=text,
            language=language,
            purpose=purpose,
            whatsapp_name=whatsapp_name,
        ),
    }


def chat_counters(
    *,
    business: Business,
    text: str,
    language: str,
    purpose: str = Purpose.MARKETING,
    whatsapp_name: str = "",
) -> list[dict[str, Any]]:
    """The length of a wording on each chat app the business uses, as it is sent there
    (sample values, no SMS opt-out line), against that app's limit: WhatsApp 1,024 for an
    approved template's body (`whatsapp_name` given), else 4,096; Telegram 4,096; Viber 7,000."""
    apps = messengers_on(messaging_settings(business))
    if not apps or not text.strip():
        return []
    sent = _composed(
        business,
        channel=apps[0],
        purpose=purpose,
        language=language,
        subject="",
        body=text,
        price=0,
    )["body"]
    rows = []
    for app in apps:
        approved = app == SendChannel.WHATSAPP and bool(whatsapp_name.strip())
        limit = WHATSAPP_TEMPLATE_LIMIT if approved else CHAT_LIMITS[app]
        rows.append(
            {
                "channel": app,
                "label": str(SendChannel(app).label),
                "approved": approved,
                "length": len(sent),
                "limit": limit,
                "over": len(sent) > limit,
            }
        )
    return rows


def template_preview(
    *, business: Business, channel: str, purpose: str, variants: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each variant in each language it is written in, rendered as a customer gets it, with
    sample values; a text with a placeholder problem shows the problem instead."""
    price = messaging_settings(business).sms_price_minor
    channel = channel if channel in SendChannel.values else SendChannel.SMS
    rows: list[dict[str, Any]] = []
    for variant in variants:
        texts: Mapping[str, Any] = variant.get("texts") or {}
        for language in languages_for(business):
            text = texts.get(language) or {}
            body = str(text.get("body", "")).strip()
            subject = str(text.get("subject", "")).strip()
            if not body:
                continue
            problem = template_problem(body) or (
                template_problem(subject) if channel == SendChannel.EMAIL else ""
            )
            row: dict[str, Any] = {"label": variant.get("label", ""), "problem": problem}
            if not problem:
                row.update(
                    _composed(
                        business,
                        channel=channel,
                        purpose=purpose,
                        language=language,
                        subject=subject,
                        body=body,
                        price=price,
                    )
                )
            row["language"] = language
            rows.append(row)
    return rows


def templates_overview(business: Business) -> list[Template]:
    """Templates with their active variants (prefetched) and the languages they are in."""
    templates = list(
        Template.objects.filter(business=business)
        .annotate(variant_count=Count("variants", filter=Q(variants__is_active=True)))
        .order_by("channel", "name")
    )
    variants = Variant.objects.filter(business=business, is_active=True).values_list(
        "template_id", "texts"
    )
    languages: dict[int, set[str]] = {}
    for template_id, texts in variants:
        languages.setdefault(template_id, set()).update(texts)
    for template in templates:
        found = languages.get(template.pk, set())
        template.languages = [code for code in LANGUAGE_CODES if code in found]
    return templates


def campaigns_overview(business: Business, limit: int = 50) -> list[Campaign]:
    """Recent campaigns with sent and clicked (selectors.campaigns_list) and the customers
    who bought after the message and their revenue (holdout group excluded)."""
    campaigns = list(campaigns_list(business.pk).select_related("segment")[:limit])
    rows = (
        Conversion.objects.filter(
            business=business, message__campaign_id__in=[c.pk for c in campaigns]
        )
        .exclude(message__status=MessageStatus.HOLDOUT)
        .values("message__campaign_id")
        .annotate(
            converted=Count("message__customer", distinct=True),
            revenue=Sum("revenue_minor"),
        )
    )
    found = {r["message__campaign_id"]: r for r in rows}
    for campaign in campaigns:
        row = found.get(campaign.pk, {})
        campaign.converted = row.get("converted", 0)  # type: ignore[attr-defined]
        campaign.revenue_minor = row.get("revenue") or 0  # type: ignore[attr-defined]
        campaign.audience = (campaign.counts or {}).get("audience")  # type: ignore[attr-defined]
    return campaigns


def automations_overview(business: Business) -> list[dict[str, Any]]:
    """Every kind of automation, set up or not, with its results when it exists."""
    existing = {
        a.kind: a
        for a in Automation.objects.filter(business=business).select_related(
            "sms_template", "email_template"
        )
    }
    rows = []
    for kind in AutomationKind:
        automation = existing.get(kind.value)
        rows.append(
            {
                "kind": kind.value,
                "label": kind.label,
                "automation": automation,
                "results": automation_results(automation) if automation else None,
            }
        )
    return rows


def customer_message_log(customer: Customer, limit: int = 100) -> list[dict[str, Any]]:
    """A customer's messages, newest first: what was sent (or not, and why) on which channel
    for which campaign or automation, clicked and converted; with the SMS they sent us."""
    entries: list[dict[str, Any]] = [
        {"kind": "out", "at": m.sent_at or m.created_at, "message": m}
        for m in customer_messages(customer.pk, customer.business_id, limit=limit)
    ]
    inbound = InboundMessage.objects.filter(
        business_id=customer.business_id, customer_id=customer.pk
    ).order_by("-received_at", "-id")[:limit]
    entries += [{"kind": "in", "at": m.received_at, "message": m} for m in inbound]
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:limit]


def latest_chat_messages(business_id: int, limit: int = 10) -> list[Message]:
    """The newest messages to the chat apps (replies to customers' chat messages, campaigns),
    with their status: what a record-only chat app shows instead of sending."""
    return list(
        Message.objects.filter(business_id=business_id, channel__in=MESSENGERS)
        .exclude(status=MessageStatus.SKIPPED)
        .select_related("customer")
        .order_by("-created_at", "-id")[:limit]
    )


def chat_callbacks(row: MessagingSettings) -> dict[str, str]:
    """The address each chat app calls with customers' messages and delivery reports (to
    paste into Meta's app dashboard, or given to Telegram's setWebhook and Viber's
    set_webhook); the requests are signed, so the address holds no secret of its own."""
    return {app: public_url(f"/hooks/{row.hook_token}/{app}/") for app in MESSENGERS}


def customer_chats(customer: Customer) -> list[dict[str, Any]]:
    """A customer's chat apps for their page: per app the business uses (or the customer
    linked before), the chats linked (name, since when, left when) and the latest marketing
    consent there."""
    contacts = list(
        MessengerContact.objects.filter(
            business_id=customer.business_id, customer_id=customer.pk
        ).order_by("linked_at", "id")
    )
    consents: dict[str, Consent] = {}
    for consent in Consent.objects.filter(
        business_id=customer.business_id,
        customer_id=customer.pk,
        channel__in=MESSENGERS,
        purpose=Purpose.MARKETING,
    ).order_by("recorded_at", "id"):
        consents[consent.channel] = consent
    used = set(messengers_on(messaging_settings(customer.business_id)))
    used |= {c.channel for c in contacts} | set(consents)
    return [
        {
            "channel": app,
            "label": str(SendChannel(app).label),
            "contacts": [c for c in contacts if c.channel == app],
            "consent": consents.get(app),
        }
        for app in MESSENGERS
        if app in used
    ]
