"""Data-protection requests (Kenya DPA 2019 s.26/s.38/s.40, Tanzania PDPA 2022, Armenia's
personal data law): a customer's data export, and erasure that anonymises the person while
keeping anonymous order and ledger totals so reports stay right. Both are audited.

What counts as the person: the record asked about and every record merged into it (a merge
keeps the dropped record, emptied of contacts, pointing at the kept one), reached by every
phone and e-mail they have had here (the profile's, the extra contacts', those a merge
recorded). `PERSONAL_DATA` lists every stored field that can hold a customer's personal data
with what erasure does to it and where the export shows it; `NOT_PERSONAL` lists every other
text-like field with the reason. tests/security/test_personal_data_coverage.py walks every
model and fails on a field in neither, so a new field is classified when it is added.

Apps built on customers reach their own rows through `customers.hooks` (erase steps and
export sections); the import files on disk are handled by `customers.importing`
(`imports_forget`, `import_files_expire`), and the daily `privacy_housekeeping` deletes what
is kept only for a while.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wateja.customers import hooks
from wateja.customers.duplicates import duplicates_refresh_many
from wateja.customers.events import Event, summary_in
from wateja.customers.models import (
    Card,
    CardStatus,
    Consent,
    ContactKind,
    Customer,
    CustomerContact,
    CustomerMerge,
    CustomerTag,
    Interaction,
    InteractionKind,
    PendingEnrolment,
    PendingStatus,
)
from wateja.customers.services import customer_tags
from wateja.tenants.models import ApiKey, AuditEvent
from wateja.tenants.services import audit_record

# ------------------------------------------------------------------ the registry


@dataclass(frozen=True)
class Handling:
    """What erasure does to a field (`erase`; with `kept`, why the value may stay), and the
    export section that shows it (`export`: "section" or "section.key")."""

    erase: str
    export: str
    kept: bool = False


_BLANKED = "blanked"
_REPLACED_NAME = "replaced by “Erased customer #id”"
_ROW_DELETED = "the row is deleted"

PERSONAL_DATA: dict[str, dict[str, Handling]] = {
    "customers.Customer": {
        "name": Handling(_REPLACED_NAME, "profile.name"),
        "name_key": Handling(_BLANKED + " (the name's search key)", "profile.name"),
        "phone": Handling(_BLANKED, "profile.phone"),
        "email": Handling(_BLANKED, "profile.email"),
        "city": Handling(_BLANKED, "profile.city"),
        "notes": Handling(_BLANKED, "profile.notes"),
        "interests": Handling(_BLANKED, "profile.interests"),
        "interest_keys": Handling(_BLANKED + " (the interests' search keys)", "profile.interests"),
        "gender": Handling(_BLANKED, "profile.gender"),
        "language": Handling(_BLANKED, "profile.language"),
        "preferred_channel": Handling(_BLANKED, "profile.preferred_channel"),
    },
    "customers.Card": {
        "number": Handling(
            "kept, blocked: the card no longer works and leads only to the anonymous record",
            "cards.number",
            kept=True,
        ),
    },
    "customers.CustomerContact": {
        "value": Handling(_ROW_DELETED, "contacts.value"),
    },
    # likely-duplicate blocking keys: the last digits of a phone, the city and name key
    "customers.DuplicateKey": {
        "block": Handling(
            _ROW_DELETED + " (an erased customer's keys are forgotten: customers.duplicates)",
            "profile.phone",
        ),
        "value": Handling(
            _ROW_DELETED + " (an erased customer's keys are forgotten: customers.duplicates)",
            "profile.name",
        ),
    },
    "customers.Consent": {
        # the facts stay (channel, purpose, yes/no, source, when): the business can still
        # show that marketing stopped; the words and the proof of who gave them go
        "text": Handling(_BLANKED + " (an SMS reply holds the customer's own words)", "consents"),
        "ip_address": Handling(_BLANKED, "consents.ip_address"),
        "user_agent": Handling(_BLANKED, "consents.user_agent"),
        "language": Handling(_BLANKED, "consents.language"),
        "verification": Handling(_BLANKED, "consents.verification"),
    },
    "customers.Interaction": {
        "summary": Handling(
            "the kind of event instead of the words (a purchase keeps its number and total); "
            "on another customer's timeline a merge names the erased record",
            "interactions.summary",
        ),
        "body": Handling(_BLANKED, "interactions.body"),
        "data": Handling("emptied, except a purchase's number and total", "interactions.details"),
        "reference": Handling(_BLANKED + ", except a purchase's order", "interactions.reference"),
    },
    "customers.CustomerMerge": {
        "snapshot": Handling(
            "the erased side's profile, notes and tags emptied (the merge can no longer be "
            "undone: one of its records is erased)",
            "merges",
        ),
    },
    "customers.ImportJob": {
        "report": Handling(
            "the customer's rows left out of the problem lists (and of the problem files); "
            "the uploaded file is deleted at once",
            "imports",
        ),
    },
    "customers.PendingEnrolment": {
        name: Handling(_ROW_DELETED, f"enrolments_waiting.{key}")
        for name, key in (
            ("phone", "phone"),
            ("data", "form"),
            ("consents", "consents"),
            ("language", "language"),
            ("ip_address", "ip_address"),
            ("user_agent", "user_agent"),
        )
    },
    "tenants.AuditEvent": {
        "details": Handling(
            "the reason staff typed is removed from the events about the customer (who did "
            "what and when stays)",
            "audit.details",
        ),
    },
    "messaging.Message": {
        "to_address": Handling(_BLANKED + " (count, cost and status stay)", "messages.to"),
        "subject": Handling(_BLANKED, "messages.subject"),
        "body": Handling(_BLANKED, "messages.body"),
        "last_error": Handling(_BLANKED, "messages.error"),
        "provider_id": Handling(
            _BLANKED + " (a late delivery report then finds nothing)", "messages.provider_id"
        ),
        "link_url": Handling(_BLANKED + " (it may be the customer's own link)", "messages.link"),
        "payload": Handling(
            "emptied (the WhatsApp template's values: her name, balance…)", "messages.payload"
        ),
        "fallback_body": Handling(_BLANKED, "messages.fallback_body"),
    },
    "messaging.MessengerContact": {
        "external_id": Handling(_ROW_DELETED, "chats.id"),
        "display_name": Handling(_ROW_DELETED, "chats.name"),
    },
    "messaging.Delivery": {
        "detail": Handling(_BLANKED, "delivery_reports.detail"),
        "raw": Handling("emptied (the provider's payload)", "delivery_reports.payload"),
    },
    "messaging.InboundMessage": {
        "from_phone": Handling(_BLANKED, "inbound_sms.from"),
        "text": Handling(_BLANKED, "inbound_sms.text"),
        "provider_id": Handling(_BLANKED, "inbound_sms.provider_id"),
    },
    "messaging.Feedback": {
        "comment": Handling(_BLANKED + " (the rating stays)", "feedback.comment"),
    },
    "messaging.SurveyAnswer": {
        "answers": Handling(
            "emptied (what she wrote or picked; the answer's date stays counted)",
            "survey_answers.answers",
        ),
    },
    "wallet.Operation": {
        "reason": Handling(_BLANKED + " (amounts stay)", "wallet.history.reason"),
    },
    "payments.Payment": {
        "account": Handling(_BLANKED + " (the transaction and amount stay)", "payments.account"),
        "payer_phone": Handling(_BLANKED, "payments.payer_phone"),
        "payer_name": Handling(_BLANKED, "payments.payer_name"),
        "payload": Handling("emptied (the provider's payload)", "payments.payload"),
    },
    "payments.Payout": {
        "phone": Handling(_BLANKED + " (amount, status and times stay)", "payouts.to"),
        "result": Handling(_BLANKED + " (what M-Pesa said)", "payouts.answer"),
    },
    "orders.OrderRefund": {
        "reason": Handling(_BLANKED + " (amounts stay)", "refunds.reason"),
    },
    "webhooks.Delivery": {
        "payload": Handling(
            "the event's data emptied (id, type and time stay; a replay sends nothing of theirs)",
            "sent_to_other_systems.data",
        ),
        "last_response": Handling(
            _BLANKED + " (the receiver's answer)", "sent_to_other_systems.answer"
        ),
        "last_error": Handling(_BLANKED, "sent_to_other_systems.error"),
    },
}

# why a text-like field holds no customer's personal data
SHOP = "the business's own details, settings or credentials"
STAFF = "staff and API keys, not customers (staff accounts are managed on the staff screens)"
CODE = "a code, status or choice of the program, or an id"
CONTENT = "what the business wrote: offers, templates, campaigns, labels"
CATALOGUE = "the business's catalogue"
SALE = "what was sold and for how much; it stays with the anonymous totals after erasure"
AGGREGATE = "counts and figures over many customers, or computed from the anonymous totals"
RANDOM = "a random code or token (erasure replaces the message tokens, so old links stop working)"
TECHNICAL = "a technical key, digest or path (the import file itself: see ImportJob.report)"

NOT_PERSONAL: dict[str, dict[str, str]] = {
    "tenants.Business": dict.fromkeys(
        [
            "slug",
            "name",
            "country",
            "currency",
            "timezone",
            "default_language",
            "support_phone",
            "support_email",
            "address",
            "hours",
            "two_factor_required",
            "countries_served",
            "join_verify_phone",
        ],
        SHOP,
    ),
    "tenants.Location": dict.fromkeys(("name", "city", "address", "phone"), SHOP),
    "tenants.Staff": {"role": STAFF, "pin_digest": STAFF},
    "tenants.ApiKey": dict.fromkeys(("name", "prefix", "key_hash", "role"), STAFF),
    "tenants.AuditEvent": {"action": CODE, "object_type": CODE, "object_id": CODE},
    "tenants.SignInFailure": {
        "username": STAFF + "; pruned nightly",
        "ip": STAFF + "; pruned nightly",
    },
    "tenants.TwoFactorDevice": {"secret_encrypted": STAFF},
    "tenants.RecoveryCode": {"digest": STAFF},
    "catalog.Category": {"name": CATALOGUE, "key": CATALOGUE},
    "catalog.Product": dict.fromkeys(
        ["sku", "sku_key", "barcode", "name", "names", "unit"], CATALOGUE
    ),
    "customers.Customer": {
        "source": CODE + " (how the record came in; counted in reports with the totals)",
    },
    "customers.Tag": {"name": CONTENT + " (erasure deletes the customer's tag links)"},
    "customers.Card": {"status": CODE},
    "customers.Consent": {"channel": CODE, "purpose": CODE, "source": CODE},
    "customers.Interaction": {"kind": CODE, "status": CODE, "event": CODE},
    "customers.Segment": {"name": CONTENT, "filters": CONTENT + " (a saved filter)"},
    "customers.DuplicateKey": {"kind": CODE},
    "customers.DuplicateCandidate": {"reason": CODE, "status": CODE},
    "operations.BackgroundJob": {
        "kind": CODE,
        "params": CODE + " (the filters or the campaign a job was started with)",
        "subject": "what the job is about as staff named it (a campaign, a filter)",
        "status": CODE,
        "role": CODE,
        "language": CODE,
        "result_name": "the result file's name, made by the program",
        "result_file": TECHNICAL,
        "result_type": CODE,
        "result_data": "a job's result (counts; a campaign preview's rendered samples): "
        "deleted with the job after its keeping days, and at once, with every result file "
        "of the business, when a customer is erased (operations.background)",
        "error": "a sentence of the program's",
        "error_code": CODE,
    },
    "customers.ImportJob": {
        "file_name": "the spreadsheet's name as the business saved it",
        "file_path": TECHNICAL,
        "file_sha256": TECHNICAL,
        "file_format": CODE,
        "encoding": CODE,
        "mapping": CODE + " (which column is which field)",
        "status": CODE,
        "source": CODE,
        "file_removed_reason": CODE,
    },
    "customers.CustomerContact": {"kind": CODE, "source": CODE},
    "customers.PendingEnrolment": {"code_digest": TECHNICAL, "status": CODE},
    "wallet.Account": {"system": CODE, "kind": CODE},
    "wallet.Operation": {
        "key": "the caller's retry key",
        "action": CODE,
        "request_hash": TECHNICAL,
        "result": "the ids and amounts the operation moved",
        "reference": "the sale, payment or document the ledger and the shift report join on",
    },
    "wallet.Transfer": {"code": CODE, "status": CODE, "on_timeout": CODE},
    "wallet.WalletSettings": {"expiry_rule": SHOP, "clawback": SHOP},
    "promotions.Promotion": dict.fromkeys(
        [
            "name",
            "description",
            "type",
            "params",
            "conditions",
            "status",
            "exclusive_group",
            "weekdays",
            "audience",
            "audience_values",
            "channels",
            "locations",
            "customer_limit_period",
            "budget_period",
            "recipe",
            "recipe_values",
        ],
        CONTENT,
    ),
    "promotions.PromoCode": {"code": RANDOM, "kind": CODE, "batch": CONTENT},
    "promotions.Redemption": {"single_use_code": RANDOM, "checkout_key": CODE, "status": CODE},
    "promotions.Tier": {"name": CONTENT, "basis": CODE},
    "promotions.ReferralCode": {"code": RANDOM},
    "promotions.Referral": {"status": CODE},
    "promotions.ReferralRefusal": {"code": RANDOM, "reason": CODE, "source": CODE},
    "challenges.Challenge": {
        "name": CONTENT,
        "metric": CODE,
        "rewards": CONTENT,
        "status": CODE,
        "public_slug": RANDOM,
    },
    "challenges.SurpriseRule": {"name": CONTENT, "item": CONTENT},
    "challenges.SurpriseGift": {"item": CONTENT},
    "orders.Order": {"number": SALE, "currency": SALE, "status": CODE, "channel": CODE},
    "orders.OrderLine": {"sku": SALE, "name": SALE, "category": SALE},
    "orders.OrderRefund": {"key": CODE, "kind": CODE, "lines": SALE},
    "orders.Checkout": {"key": CODE, "status": CODE, "request": SALE, "evaluation": SALE},
    "orders.OfferSimulation": {"status": CODE, "result": AGGREGATE, "error": CODE},
    "messaging.MessagingSettings": dict.fromkeys(
        [
            "sms_provider",
            "sms_sender",
            "at_username",
            "at_api_key",
            "twilio_account_sid",
            "twilio_auth_token",
            "provider_api_base",
            "email_provider",
            "email_from",
            "hook_token",
            "hook_secret",
            "hook_allowed_ips",
            "link_domains",
            "keywords",
            "whatsapp_mode",
            "whatsapp_phone_number_id",
            "whatsapp_number",
            "whatsapp_access_token",
            "whatsapp_app_secret",
            "whatsapp_verify_token",
            "whatsapp_api_base",
            "telegram_mode",
            "telegram_bot_token",
            "telegram_bot_username",
            "telegram_secret",
            "telegram_api_base",
            "viber_mode",
            "viber_auth_token",
            "viber_bot_uri",
            "viber_bot_name",
            "viber_api_base",
            "feedback_scale",
            "feedback_alert",
            "feedback_alert_to",
        ],
        SHOP,
    ),
    "messaging.Feedback": {"scale": CODE},
    "messaging.Survey": {"title": CONTENT, "questions": CONTENT},
    "messaging.Template": {
        "name": CONTENT,
        "channel": CODE,
        "purpose": CODE,
        "whatsapp_name": CONTENT,
    },
    "messaging.MessengerContact": {"channel": CODE},
    "messaging.MessengerLinkCode": {"channel": CODE, "code": RANDOM},
    "messaging.Variant": {"label": CONTENT, "texts": CONTENT},
    "messaging.Campaign": dict.fromkeys(
        ["channel", "offer", "code", "link_url", "name", "status", "counts"], CONTENT
    ),
    "messaging.Automation": dict.fromkeys(
        ["channel", "offer", "code", "link_url", "kind", "categories"], CONTENT
    ),
    "messaging.Message": {
        "channel": CODE,
        "purpose": CODE,
        "language": CODE + " (which of the business's wordings was sent)",
        "status": CODE,
        "skip_reason": CODE,
        "provider": CODE,
        "dedupe_key": CODE,
        "token": RANDOM,
    },
    "messaging.Delivery": {"outcome": CODE},
    "messaging.InboundMessage": {"action": CODE, "channel": CODE},
    "payments.PaymentSettings": dict.fromkeys(
        [
            "mpesa_shortcode",
            "mpesa_environment",
            "mpesa_consumer_key",
            "mpesa_consumer_secret",
            "hook_token",
            "hook_secret",
            "signing_secret",
            "signing_secret_previous",
            "hook_allowed_ips",
            "b2c_shortcode",
            "b2c_initiator",
            "b2c_security_credential",
        ],
        SHOP,
    ),
    "payments.Payout": {
        "currency": CODE,
        "status": CODE,
        "conversation_id": CODE + " (our request id to M-Pesa)",
        "transaction_id": "M-Pesa's transaction id: the books need it",
    },
    "payments.Payment": {
        "provider": CODE,
        "reference": "the provider's transaction id (M-Pesa TransID): the books and a repeated "
        "callback need it",
        "currency": CODE,
        "status": CODE,
    },
    "webhooks.Endpoint": {
        "url": SHOP + " (where the business's events go)",
        "description": CONTENT,
        "event_types": CODE,
        "secret": SHOP,
        "secret_previous": SHOP,
    },
    "webhooks.Delivery": {"event_id": CODE, "event_type": CODE, "status": CODE},
    "shops.ShopConnection": {
        "platform": CODE,
        "name": SHOP,
        "token": SHOP,
        "secret": SHOP,
    },
    "shops.ShopEvent": {"delivery_id": CODE, "topic": CODE, "outcome": CODE},
    "shops.ShopOrder": {
        "external_id": SALE + " (the online shop's order id)",
        "number": SALE,
        "checkout_key": CODE,
    },
    "analytics.DailyRollup": dict.fromkeys(
        ("recency", "recency_once", "tiers", "tier_moves"), AGGREGATE
    ),
    "analytics.CustomerRfm": {"segment": AGGREGATE},
    "analytics.RollupMonth": {"fingerprint": TECHNICAL},
    "analytics.ClvFit": {"note": AGGREGATE},
    "events.Event": {
        "kind": CODE,
        "status": CODE,
        "title": CONTENT,
        "description": CONTENT,
        "place": SHOP,
    },
    "events.Registration": {"status": CODE, "source": CODE},
}


# ------------------------------------------------------------------ who the person is


def person_records(customer: Customer) -> list[int]:
    """The record and every record merged into it (and into those), by id, ascending."""
    found = {customer.pk}
    frontier = [customer.pk]
    while frontier:
        frontier = [
            pk
            for pk in Customer.objects.filter(merged_into__in=frontier).values_list("pk", flat=True)
            if pk not in found
        ]
        found.update(frontier)
    return sorted(found)


@dataclass(frozen=True)
class Reach:
    """How the person was known here: their records, and every phone, e-mail and card number
    those records have (profile, extra contacts) or had (the profiles merge records kept)."""

    ids: tuple[int, ...]
    phones: frozenset[str]
    emails: frozenset[str]
    cards: frozenset[str]

    @property
    def addresses(self) -> frozenset[str]:
        return self.phones | self.emails

    @property
    def phone_forms(self) -> frozenset[str]:
        """The phones as providers and payers may write them: "+254…", "254…", "07…"."""
        return frozenset(form for phone in self.phones for form in _phone_forms(phone))

    def mentions(self, value: object) -> bool:
        """Whether a stored value is one of the person's phones, e-mails or card numbers."""
        text = str(value or "").strip()
        if not text:
            return False
        return (
            text in self.phone_forms
            or text.casefold() in {e.casefold() for e in self.emails}
            or text in self.cards
        )


def _phone_forms(e164: str) -> set[str]:
    forms = {e164, e164.lstrip("+")}
    try:
        national = phonenumbers.parse(e164, None).national_number
    except phonenumbers.NumberParseException:
        return forms
    return forms | {f"0{national}"}


def customer_reach(customer: Customer) -> Reach:
    ids = person_records(customer)
    phones: set[str] = set()
    emails: set[str] = set()
    for phone, email in Customer.objects.filter(pk__in=ids).values_list("phone", "email"):
        phones.add(phone)
        emails.add(email)
    # a contact removed when a merge was undone was the other record's: not theirs
    for kind, value in CustomerContact.objects.filter(
        customer_id__in=ids, removed_at__isnull=True
    ).values_list("kind", "value"):
        (phones if kind == ContactKind.PHONE else emails).add(value)
    for merge in CustomerMerge.objects.filter(Q(keep_id__in=ids) | Q(drop_id__in=ids)):
        part = merge.snapshot.get("customer") or {}
        for side, pk in (("keep_profile", merge.keep_id), ("drop_profile", merge.drop_id)):
            if pk in ids:
                profile = part.get(side) or {}
                phones.add(str(profile.get("phone") or ""))
                emails.add(str(profile.get("email") or ""))
    cards = set(Card.objects.filter(customer_id__in=ids).values_list("number", flat=True))
    return Reach(
        ids=tuple(ids),
        phones=frozenset(p for p in phones if p),
        emails=frozenset(e for e in emails if e),
        cards=frozenset(c for c in cards if c),
    )


# ------------------------------------------------------------------ export


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _profile(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "city": customer.city,
        "language": customer.language,
        "preferred_channel": customer.preferred_channel,
        "birthday": {
            "day": customer.birth_day,
            "month": customer.birth_month,
            "year": customer.birth_year,
        },
        "gender": customer.gender,
        "notes": customer.notes,
        "interests": list(customer.interests or []),
        "source": customer.source,
        "created_at": _iso(customer.created_at),
    }


def _merges_export(reach: Reach) -> list[dict[str, Any]]:
    rows = []
    merges = CustomerMerge.objects.filter(Q(keep_id__in=reach.ids) | Q(drop_id__in=reach.ids))
    for merge in merges.order_by("created_at", "id"):
        part = merge.snapshot.get("customer") or {}
        row: dict[str, Any] = {
            "at": _iso(merge.created_at),
            "kept_record": merge.keep_id,
            "merged_record": merge.drop_id,
            "undone_at": _iso(merge.undone_at),
        }
        if merge.keep_id in reach.ids:
            row["profile_before"] = part.get("keep_profile") or {}
        if merge.drop_id in reach.ids:
            row["merged_profile"] = part.get("drop_profile") or {}
        rows.append(row)
    return rows


def _interaction_export(interaction: Interaction, reach: Reach, language: str) -> dict[str, Any]:
    summary, data = interaction.summary, interaction.data
    other = data.get("id") if interaction.event in (Event.MERGED, Event.MERGE_UNDONE) else None
    if other is not None and other not in reach.ids:
        # a merge with another person's record: their name is theirs, not part of this export
        with translation.override(language):
            data = {**data, "name": _("another customer")}
        summary = summary_in(language, interaction.event, data)
    return {
        "kind": interaction.kind,
        "summary": summary,
        "body": interaction.body,
        "occurred_at": _iso(interaction.occurred_at),
        "status": interaction.status,
        "reference": interaction.reference,
        "details": data,
    }


def _pending(reach: Reach) -> Any:
    return PendingEnrolment.objects.filter(Q(customer_id__in=reach.ids) | Q(phone__in=reach.phones))


def _audit_events(customer: Customer, reach: Reach) -> Any:
    return AuditEvent.objects.filter(
        business_id=customer.business_id,
        object_type="customer",
        object_id__in=[str(pk) for pk in reach.ids],
    )


def customer_data_export(
    *, customer: Customer, actor: User | None = None, api_key: ApiKey | None = None
) -> dict[str, Any]:
    """Everything the business holds about the customer, as JSON-able data: the profile and
    the records merged into it, contacts, cards, consents with their proof, the timeline,
    merges, the import rows that named them, enrolments waiting for a code, the audit of
    their record, and each app's section (orders, refunds, wallet, messages, inbound SMS,
    delivery reports, feedback)."""
    from wateja.customers.importing import imports_mentioning

    business = customer.business
    reach = customer_reach(customer)
    others = [pk for pk in reach.ids if pk != customer.pk]
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "business": {
            "name": business.name,
            "country": business.country,
            "contact": {"phone": business.support_phone, "email": business.support_email},
        },
        "profile": {**_profile(customer), "tags": customer_tags(customer)},
        "purchase_summary": {
            "first_purchase_at": _iso(customer.first_purchase_at),
            "last_purchase_at": _iso(customer.last_purchase_at),
            "purchase_count": customer.purchase_count,
            "total_spent_minor": customer.total_spent_minor,
            "currency": business.currency,
        },
        "cards": [
            {"number": c.number, "status": c.status, "issued_at": _iso(c.issued_at)}
            for c in Card.objects.filter(customer_id__in=reach.ids).order_by("issued_at", "id")
        ],
        "contacts": [
            {
                "kind": c.kind,
                "value": c.value,
                "origin": c.source,
                "added_at": _iso(c.created_at),
            }
            for c in CustomerContact.objects.filter(
                customer_id__in=reach.ids, removed_at__isnull=True
            ).order_by("id")
        ],
        "consents": [
            {
                "channel": c.channel,
                "purpose": c.purpose,
                "granted": c.granted,
                "text": c.text,
                "source": c.source,
                "recorded_at": _iso(c.recorded_at),
                "ip_address": c.ip_address,
                "user_agent": c.user_agent,
                "language": c.language,
                "verification": c.verification,
            }
            for c in Consent.objects.filter(customer_id__in=reach.ids).order_by("recorded_at", "id")
        ],
        "interactions": [
            _interaction_export(i, reach, business.default_language)
            for i in Interaction.objects.filter(customer_id__in=reach.ids).order_by(
                "occurred_at", "id"
            )
        ],
        "merges": _merges_export(reach),
        "merged_records": [
            _profile(c) for c in Customer.objects.filter(pk__in=others).order_by("pk")
        ],
        "imports": imports_mentioning(business=business, reach=reach),
        "enrolments_waiting": [
            {
                "phone": p.phone,
                "started_at": _iso(p.created_at),
                "expires_at": _iso(p.expires_at),
                "status": p.status,
                "form": p.data,
                "consents": p.consents,
                "language": p.language,
                "ip_address": p.ip_address,
                "user_agent": p.user_agent,
            }
            for p in _pending(reach).filter(business_id=business.pk).order_by("created_at", "id")
        ],
        "audit": [
            {"action": e.action, "at": _iso(e.at), "details": e.details}
            for e in _audit_events(customer, reach).order_by("at", "id")
        ],
    }
    for section in hooks.export_sections:
        name, value = section(customer)
        data[name] = value
    audit_record(
        business=business,
        action="customer.export",
        object_type="customer",
        object_id=customer.pk,
        actor=actor,
        api_key=api_key,
    )
    return data


# ------------------------------------------------------------------ erasure


def anonymous_profile(name: str) -> dict[str, Any]:
    """The profile an erased record keeps (and one an undone import had to keep for its
    ledger): nothing that names or reaches the person, and when it was erased."""
    return {
        "name": name,
        "name_key": "",
        "phone": "",
        "email": "",
        "city": "",
        "language": "",
        "preferred_channel": "",
        "birth_day": None,
        "birth_month": None,
        "birth_year": None,
        "gender": "",
        "notes": "",
        "interests": [],
        "interest_keys": [],
        "import_row": None,
        "erased_at": timezone.now(),
    }


def erased_name(pk: int) -> str:
    return _("Erased customer #%(id)s") % {"id": pk}


def _erase_timeline(business_id: int, reach: Reach, language: str) -> None:
    """Their timeline keeps what happened and when, not the words; a purchase keeps its
    number and total. Another customer's timeline that names them (a merge) names the
    erased record instead."""
    ids = list(reach.ids)
    Interaction.objects.filter(customer_id__in=ids, kind=InteractionKind.PURCHASE).update(body="")
    kinds = (
        Interaction.objects.filter(customer_id__in=ids)
        .exclude(kind=InteractionKind.PURCHASE)
        .values_list("kind", flat=True)
        .distinct()
    )
    for kind in list(kinds):
        Interaction.objects.filter(customer_id__in=ids, kind=kind).update(
            summary=str(InteractionKind(kind).label),
            body="",
            event="",
            data={},
            reference="",
        )
    naming = (
        Interaction.objects.filter(
            business_id=business_id, event__in=(Event.MERGED, Event.MERGE_UNDONE)
        )
        .exclude(customer_id__in=ids)
        .filter(data__id__in=ids)
    )
    for interaction in naming:
        data = {"name": erased_name(int(interaction.data["id"])), "id": interaction.data["id"]}
        Interaction.objects.filter(pk=interaction.pk).update(
            data=data, summary=summary_in(language, interaction.event, data)[:300]
        )


_MERGE_PROFILE_BLANK = {
    "phone": "",
    "email": "",
    "city": "",
    "language": "",
    "birth_day": None,
    "birth_month": None,
    "birth_year": None,
    "gender": "",
    "name": "",
    "preferred_channel": "",
    "notes": "",
}


def _erase_merges(reach: Reach) -> None:
    """A merge record keeps each side's profile for the undo; the erased side's goes (such
    a merge cannot be undone any more: one of its records is erased)."""
    merges = CustomerMerge.objects.select_for_update().filter(
        Q(keep_id__in=reach.ids) | Q(drop_id__in=reach.ids)
    )
    for merge in merges:
        snapshot = dict(merge.snapshot)
        part = dict(snapshot.get("customer") or {})
        for side, tags, pk in (
            ("keep_profile", "keep_tags", merge.keep_id),
            ("drop_profile", "drop_tags", merge.drop_id),
        ):
            if pk in reach.ids:
                if side in part:
                    part[side] = {k: _MERGE_PROFILE_BLANK.get(k, v) for k, v in part[side].items()}
                part[tags] = []
        part["keep_notes_after"] = ""
        snapshot["customer"] = part
        CustomerMerge.objects.filter(pk=merge.pk).update(snapshot=snapshot)


def _erase_audit(customer: Customer, reach: Reach) -> None:
    for event in _audit_events(customer, reach).filter(details__has_key="reason"):
        details = {k: v for k, v in event.details.items() if k != "reason"}
        AuditEvent.objects.filter(pk=event.pk).update(details=details)


@transaction.atomic
def customer_erase(
    *, customer: Customer, actor: User | None = None, api_key: ApiKey | None = None
) -> Customer:
    """Anonymise the person, and every record merged into theirs; keep the anonymous totals
    (orders, ledger, message counts and costs). One transaction; safe to call twice.

    Their profile, extra contacts, tags, the words and proof of their consents, their
    timeline's words, their side of merge records, their enrolments waiting for a code, the
    reasons staff typed about them, and (through each app's step) their messages, inbound
    SMS, delivery reports, feedback comments, wallet and refund reasons go. Their import rows
    leave the problem reports, and an uploaded file that holds them is deleted at once: a
    spreadsheet is shared by many customers and cannot be rewritten safely, so the import
    keeps its counts and says the file was removed for privacy. Cards stay, blocked."""
    from wateja.customers.importing import imports_forget

    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None:
        return customer
    reach = customer_reach(customer)
    records = list(Customer.objects.select_for_update().filter(pk__in=reach.ids).order_by("pk"))
    imports_rows: dict[int, set[int]] = {}
    for record in records:
        if record.import_job_id is not None:
            imports_rows.setdefault(record.import_job_id, set())
            if record.import_row is not None:
                imports_rows[record.import_job_id].add(record.import_row)
    # the apps above first: they read the contacts this step then takes away
    for record in records:
        for step in hooks.erase_steps:
            step(record)
    _erase_timeline(customer.business_id, reach, customer.business.default_language)
    _erase_merges(reach)
    _erase_audit(customer, reach)
    _pending(reach).filter(business_id=customer.business_id).delete()
    imports_forget(business=customer.business, reach=reach, rows=imports_rows)
    for record in records:
        if record.erased_at is None:
            Customer.objects.filter(pk=record.pk).update(
                **anonymous_profile(erased_name(record.pk))
            )
    CustomerTag.objects.filter(customer_id__in=reach.ids).delete()
    CustomerContact.objects.filter(customer_id__in=reach.ids).delete()
    duplicates_refresh_many(customer.business_id, reach.ids)  # out of the duplicates list
    Card.objects.filter(customer_id__in=reach.ids).update(status=CardStatus.BLOCKED)
    Consent.objects.filter(customer_id__in=reach.ids).update(
        text="", ip_address=None, user_agent="", language="", verification={}
    )
    audit_record(
        business=customer.business,
        action="customer.erase",
        object_type="customer",
        object_id=customer.pk,
        actor=actor,
        api_key=api_key,
        details={"records": list(reach.ids)} if len(reach.ids) > 1 else None,
    )
    customer.refresh_from_db()
    return customer


# ------------------------------------------------------------------ kept only for a while


def pending_enrolments_expire(*, now: dt.datetime | None = None) -> int:
    """Enrolments that never got their code go once their time is over: they hold a phone
    and a form of a person who is not a customer. Verified ones are the proof of the
    customer's consent and go when the customer is erased."""
    now = now or timezone.now()
    deleted, _kinds = (
        PendingEnrolment.objects.exclude(status=PendingStatus.VERIFIED)
        .filter(expires_at__lt=now)
        .delete()
    )
    return deleted


def privacy_housekeeping(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The daily clean-up: import files past IMPORT_RETENTION_DAYS and enrolments that
    never got their code. Returns what was deleted."""
    from wateja.customers.importing import import_files_expire

    now = now or timezone.now()
    return {
        "import_files": import_files_expire(now=now, days=settings.IMPORT_RETENTION_DAYS),
        "pending_enrolments": pending_enrolments_expire(now=now),
    }
