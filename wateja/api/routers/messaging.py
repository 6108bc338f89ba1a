"""Messaging API: templates, SMS length/encoding, campaigns (preview, launch, results),
automations, a customer's messages, the business's messaging settings, and a single message
to one customer (e.g. a receipt).

No `from __future__ import annotations` here: Ninja reads Query/Header annotations at import.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, field_validator

from wateja.api.auth import current_business, require_role
from wateja.api.pagination import CursorPagination
from wateja.api.schemas import Id, StrictSchema, omittable
from wateja.core import sms
from wateja.customers.models import Customer
from wateja.messaging import selectors
from wateja.messaging.automations import automation_save
from wateja.messaging.campaigns import (
    campaign_cancel,
    campaign_launch,
    campaign_preview,
    campaign_save,
)
from wateja.messaging.composing import template_save
from wateja.messaging.config import (
    EDITABLE,
    SECRETS,
    hook_url,
    link_check,
    masked,
    messaging_settings,
    messaging_settings_update,
)
from wateja.messaging.models import Automation, AutomationKind, Campaign, Message, Template
from wateja.messaging.outbox import Plan, counts_as_dict, messages_queue
from wateja.messaging.receipts import receipt_send
from wateja.messaging.screens import chat_callbacks
from wateja.orders.models import Order
from wateja.tenants.roles import Role, role_at_least
from wateja.tenants.scoping import get_owned

router = Router(tags=["messaging"])
CLEARS = "null or an empty string clears it"
OWNER_CLEARS = "owner only; " + CLEARS
MODE = "off, outbox (record only) or live; owner only; cannot be null"
MAX_SMS_PRICE_MINOR = 10_000_000  # per segment, in minor units; the column holds 2**31 - 1


class TextIn(StrictSchema):
    subject: str = Field("", max_length=300)
    body: str = Field("", max_length=5000)


class VariantIn(StrictSchema):
    label: str = Field("", max_length=20)
    weight: int = Field(1, ge=0, le=1000, description="share of the sends, 0 to 1000")
    texts: dict[str, TextIn] = Field(description="language (en, sw, hy, ru) → subject and body")


class TemplateIn(StrictSchema):
    name: str = Field(max_length=100)
    channel: str = Field(description="sms or email")
    purpose: str = Field("marketing", description="marketing or service")
    variants: list[VariantIn]
    whatsapp_name: str | None = Field(
        None,
        max_length=512,
        description="SMS templates: the name Meta approved this wording under (lowercase "
        "letters, digits, underscores); left out or null keeps it, an empty string clears it",
    )


class VariantOut(Schema):
    id: int
    label: str
    weight: int
    texts: dict[str, dict[str, str]]
    is_active: bool


class TemplateOut(Schema):
    id: int
    name: str
    channel: str
    purpose: str
    whatsapp_name: str
    variants: list[VariantOut]


class SmsInfoIn(StrictSchema):
    text: str = Field(max_length=5000)


class SmsInfoOut(Schema):
    text: str
    encoding: str
    characters: int
    segments: int
    per_segment: int
    remaining_in_segment: int


class CampaignIn(StrictSchema):
    name: str = Field(max_length=150)
    segment_id: Id | None = Field(None, description="null: every active customer")
    channel: str = "preferred"
    sms_template_id: Id | None = Field(None, description="null: no SMS template")
    email_template_id: Id | None = Field(None, description="null: no e-mail template")
    offer: str = Field("", max_length=200)
    code: str = Field("", max_length=40)
    link_url: str = Field(
        "", max_length=200, description="to the business's link domains (else 422)"
    )
    holdout_percent: int = Field(0, ge=0, le=50, description="share held back, 0 to 50")


class CampaignOut(Schema):
    id: int
    name: str
    status: str
    segment_id: int | None
    channel: str
    sms_template_id: int | None
    email_template_id: int | None
    offer: str
    code: str
    link_url: str
    holdout_percent: int
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    counts: dict[str, int]
    created_at: datetime


class LaunchIn(StrictSchema):
    at: datetime | None = Field(None, description="send at this time; now when empty")


class AutomationChange(StrictSchema):
    """Only the fields sent change. Null clears a template or a text field; the channel,
    the numbers and is_active cannot be null."""

    channel: str = omittable(description="preferred, sms, email or both; cannot be null")
    sms_template_id: Id | None = Field(None, description="null: no SMS template")
    email_template_id: Id | None = Field(None, description="null: no e-mail template")
    delay_hours: int = omittable(ge=0, le=24 * 90, description="cannot be null")
    days: int = omittable(ge=0, le=3650, description="cannot be null")
    categories: str | None = Field(None, max_length=300, description=CLEARS)
    offer: str | None = Field(None, max_length=200, description=CLEARS)
    code: str | None = Field(None, max_length=40, description=CLEARS)
    link_url: str | None = Field(
        None, max_length=200, description="to the business's link domains; " + CLEARS
    )
    holdout_percent: int = omittable(ge=0, le=50, description="0 to 50; cannot be null")
    is_active: bool = omittable(description="cannot be null")

    @field_validator("categories", "offer", "code", "link_url")
    @classmethod
    def _null_clears(cls, value: str | None) -> str:
        return "" if value is None else value


class AutomationIn(AutomationChange):
    kind: AutomationKind


class AutomationOut(Schema):
    id: int
    kind: str
    channel: str
    sms_template_id: int | None
    email_template_id: int | None
    delay_hours: int
    days: int
    categories: str
    offer: str
    code: str
    link_url: str
    holdout_percent: int
    is_active: bool


class MessageOut(Schema):
    id: int
    customer_id: int | None
    campaign_id: int | None
    automation_id: int | None
    channel: str
    purpose: str
    to_address: str
    language: str
    subject: str
    body: str
    status: str
    skip_reason: str
    segments: int
    cost_minor: int
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    clicked_at: datetime | None


class SendIn(StrictSchema):
    template_id: Id
    channel: str = Field("preferred", description="preferred, sms, email or both")
    offer: str = Field("", max_length=200)
    code: str = Field("", max_length=40)
    link_url: str = Field(
        "", max_length=200, description="a manager's key only; to the business's link domains"
    )


class SettingsPatch(StrictSchema):
    """Only the fields sent change. Null clears the sender, the credentials and the e-mail
    sender address; the providers, prices, quiet hours and limits cannot be null."""

    sms_provider: str = omittable(max_length=20, description="cannot be null")
    sms_sender: str | None = Field(None, max_length=20, description=CLEARS)
    at_username: str | None = Field(None, max_length=100, description=CLEARS)
    at_api_key: str | None = Field(None, max_length=200, description=CLEARS)
    twilio_account_sid: str | None = Field(None, max_length=64, description=CLEARS)
    twilio_auth_token: str | None = Field(None, max_length=64, description=CLEARS)
    sms_price_minor: int = omittable(
        ge=0, le=MAX_SMS_PRICE_MINOR, description="per SMS segment; cannot be null"
    )
    email_provider: str = omittable(max_length=10, description="cannot be null")
    email_from: str | None = Field(None, max_length=254, description=CLEARS)
    quiet_start: str = omittable(max_length=8, description="HH:MM; cannot be null")
    quiet_end: str = omittable(max_length=8, description="HH:MM; cannot be null")
    cap_count: int = omittable(ge=0, le=100, description="cannot be null")
    cap_days: int = omittable(ge=1, le=365, description="cannot be null")
    rate_per_second: int = omittable(ge=1, le=1000, description="cannot be null")
    attribution_days: int = omittable(ge=1, le=90, description="cannot be null")
    link_domains: str | None = Field(
        None,
        max_length=500,
        description="the business's own domains messages may link to, comma separated; "
        "their subdomains too; owner only; " + CLEARS,
    )
    whatsapp_mode: str = omittable(max_length=6, description=MODE)
    whatsapp_phone_number_id: str | None = Field(None, max_length=40, description=OWNER_CLEARS)
    whatsapp_number: str | None = Field(
        None, max_length=20, description="E.164, the number customers write to; " + OWNER_CLEARS
    )
    whatsapp_access_token: str | None = Field(None, max_length=1000, description=OWNER_CLEARS)
    whatsapp_app_secret: str | None = Field(None, max_length=200, description=OWNER_CLEARS)
    whatsapp_price_minor: int = omittable(
        ge=0, le=MAX_SMS_PRICE_MINOR, description="per template message; cannot be null"
    )
    telegram_mode: str = omittable(max_length=6, description=MODE)
    telegram_bot_token: str | None = Field(None, max_length=200, description=OWNER_CLEARS)
    telegram_bot_username: str | None = Field(
        None, max_length=64, description="without @; " + OWNER_CLEARS
    )
    viber_mode: str = omittable(max_length=6, description=MODE)
    viber_auth_token: str | None = Field(None, max_length=200, description=OWNER_CLEARS)
    viber_bot_uri: str | None = Field(None, max_length=64, description=OWNER_CLEARS)
    viber_bot_name: str | None = Field(None, max_length=28, description=OWNER_CLEARS)
    viber_price_minor: int = omittable(
        ge=0, le=MAX_SMS_PRICE_MINOR, description="per message; cannot be null"
    )

    @field_validator(
        "sms_sender", "at_username", "at_api_key", "twilio_account_sid", "twilio_auth_token",
        "email_from", "link_domains", "whatsapp_phone_number_id", "whatsapp_number",
        "whatsapp_access_token", "whatsapp_app_secret", "telegram_bot_token",
        "telegram_bot_username", "viber_auth_token", "viber_bot_uri", "viber_bot_name",
    )  # fmt: skip
    @classmethod
    def _null_clears(cls, value: str | None) -> str:
        return "" if value is None else value


def _template_out(template: Template) -> dict[str, Any]:
    return {
        "id": template.pk,
        "name": template.name,
        "channel": template.channel,
        "purpose": template.purpose,
        "whatsapp_name": template.whatsapp_name,
        "variants": list(template.variants.order_by("label")),
    }


def _variants(payload: TemplateIn) -> list[dict[str, Any]]:
    return [
        {"label": v.label, "weight": v.weight, "texts": {k: t.dict() for k, t in v.texts.items()}}
        for v in payload.variants
    ]


@router.get("/templates", response=list[TemplateOut])
def template_list(request: HttpRequest) -> list[dict[str, Any]]:
    business = current_business(request)
    return [_template_out(t) for t in Template.objects.for_business(business).order_by("name")]


@router.post("/templates", response={201: TemplateOut})
def template_post(request: HttpRequest, payload: TemplateIn) -> Status[Any]:
    require_role(request, Role.MANAGER)
    template = template_save(
        business=current_business(request),
        name=payload.name,
        channel=payload.channel,
        purpose=payload.purpose,
        variants=_variants(payload),
        whatsapp_name=payload.whatsapp_name,
    )
    return Status(201, _template_out(template))


@router.get("/templates/{template_id}", response=TemplateOut)
def template_get(request: HttpRequest, template_id: int) -> dict[str, Any]:
    return _template_out(get_owned(Template, current_business(request), pk=template_id))


@router.put("/templates/{template_id}", response=TemplateOut)
def template_put(request: HttpRequest, template_id: int, payload: TemplateIn) -> dict[str, Any]:
    require_role(request, Role.MANAGER)
    business = current_business(request)
    template = get_owned(Template, business, pk=template_id)
    template = template_save(
        business=business,
        template=template,
        name=payload.name,
        channel=template.channel,
        purpose=payload.purpose,
        variants=_variants(payload),
        whatsapp_name=payload.whatsapp_name,
    )
    return _template_out(template)


@router.post("/sms/info", response=SmsInfoOut)
def sms_length(request: HttpRequest, payload: SmsInfoIn) -> dict[str, Any]:
    """What an SMS text costs: the text as it will be sent (typographic quotes and dashes
    replaced when that keeps it GSM-7), its encoding and segments."""
    text = sms.prepare_sms(payload.text)
    info = sms.sms_info(text, normalize=False)
    return {"text": text, **info.__dict__}


@router.get("/campaigns", response=list[CampaignOut])
@paginate(CursorPagination)
def campaign_list(request: HttpRequest) -> Any:
    return Campaign.objects.for_business(current_business(request))


@router.post("/campaigns", response={201: CampaignOut})
def campaign_post(request: HttpRequest, payload: CampaignIn) -> Status[Any]:
    require_role(request, Role.MANAGER)
    campaign = campaign_save(business=current_business(request), **payload.dict())
    return Status(201, campaign)


def _campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    return get_owned(Campaign, current_business(request), pk=campaign_id)


@router.get("/campaigns/{campaign_id}", response=CampaignOut)
def campaign_get(request: HttpRequest, campaign_id: int) -> Campaign:
    return _campaign(request, campaign_id)


@router.patch("/campaigns/{campaign_id}", response=CampaignOut)
def campaign_patch(request: HttpRequest, campaign_id: int, payload: CampaignIn) -> Campaign:
    require_role(request, Role.MANAGER)
    campaign = _campaign(request, campaign_id)
    return campaign_save(
        business=current_business(request), campaign=campaign, **payload.dict(exclude_unset=True)
    )


@router.post("/campaigns/{campaign_id}/preview")
def campaign_preview_post(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    """Reach and cost per channel (`channels`: customers, how many chat-app ones have SMS as
    fallback, price and cost; labels in the caller's language), who is skipped and why, SMS
    segments, the total `cost_minor`, and an example per language — nothing is sent."""
    return campaign_preview(_campaign(request, campaign_id))


@router.post("/campaigns/{campaign_id}/launch", response=CampaignOut)
def campaign_launch_post(request: HttpRequest, campaign_id: int, payload: LaunchIn) -> Campaign:
    require_role(request, Role.MANAGER)
    return campaign_launch(campaign=_campaign(request, campaign_id), at=payload.at)


@router.post("/campaigns/{campaign_id}/cancel", response=CampaignOut)
def campaign_cancel_post(request: HttpRequest, campaign_id: int) -> Campaign:
    require_role(request, Role.MANAGER)
    return campaign_cancel(campaign=_campaign(request, campaign_id))


@router.get("/campaigns/{campaign_id}/results")
def campaign_results_get(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    """Sent, delivered, failed, clicked, unsubscribed, converted, revenue; the holdout group
    and the uplift with its 95% interval; the same per variant."""
    return selectors.campaign_results(_campaign(request, campaign_id))


@router.get("/automations", response=list[AutomationOut])
def automation_list(request: HttpRequest) -> Any:
    return Automation.objects.for_business(current_business(request)).order_by("kind")


@router.post("/automations", response=AutomationOut)
def automation_post(request: HttpRequest, payload: AutomationIn) -> Automation:
    """Create the automation of a kind, or change it (one per kind per business)."""
    require_role(request, Role.MANAGER)
    values = payload.dict(exclude_unset=True)
    return automation_save(business=current_business(request), **values)


@router.patch("/automations/{automation_id}", response=AutomationOut)
def automation_patch(
    request: HttpRequest, automation_id: int, payload: AutomationChange
) -> Automation:
    require_role(request, Role.MANAGER)
    business = current_business(request)
    automation = get_owned(Automation, business, pk=automation_id)
    return automation_save(
        business=business, kind=automation.kind, **payload.dict(exclude_unset=True)
    )


@router.get("/automations/{automation_id}/results")
def automation_results_get(request: HttpRequest, automation_id: int) -> dict[str, Any]:
    automation = get_owned(Automation, current_business(request), pk=automation_id)
    return selectors.automation_results(automation)


@router.get("/customers/{customer_id}/messages", response=list[MessageOut])
@paginate(CursorPagination)
def customer_message_list(request: HttpRequest, customer_id: int) -> Any:
    business = current_business(request)
    customer = get_owned(Customer, business, pk=customer_id)
    return Message.objects.filter(business=business, customer=customer)


@router.post("/customers/{customer_id}/messages", response={201: dict[str, Any]})
def customer_message_send(request: HttpRequest, customer_id: int, payload: SendIn) -> Status[Any]:
    """One message to one customer from a template (a receipt, a reminder): the same
    consent, contact and quiet-hours rules as campaigns; the answer says what happened. A
    `link_url` needs a manager's key (403 `role_required`) and one of the business's link
    domains (422 `link_not_allowed`)."""
    require_role(request, Role.CASHIER)
    if payload.link_url:
        require_role(request, Role.MANAGER)
    business = current_business(request)
    customer = get_owned(Customer, business, pk=customer_id)
    template = get_owned(Template, business, pk=payload.template_id)
    link_url = link_check(business, payload.link_url)
    counts = messages_queue(
        Plan(
            business=business,
            templates={template.channel: template},
            channel_choice=payload.channel,
            purpose=template.purpose,
            salt=f"direct:{template.pk}",
            base_values={"offer": payload.offer, "code": payload.code},
            link_url=link_url,
            record_skips=True,
        ),
        [customer],
    )
    return Status(201, counts_as_dict(counts))


class ReceiptIn(StrictSchema):
    channel: str = Field("sms", description="sms or email")


@router.post("/orders/{order_id}/receipt", response={201: MessageOut})
def order_receipt_send(request: HttpRequest, order_id: int, payload: ReceiptIn) -> Status[Any]:
    """Send the sale's receipt to its customer (once; a repeat returns the same message)."""
    require_role(request, Role.CASHIER)
    order = get_owned(Order, current_business(request), pk=order_id)
    channel = "email" if payload.channel == "email" else "sms"
    return Status(201, receipt_send(order=order, channel=channel))


def _settings_out(business: Any) -> dict[str, Any]:
    row = messaging_settings(business)
    out: dict[str, Any] = {}
    for key in EDITABLE:
        value = getattr(row, key)
        if key in SECRETS:
            value = masked(value)
        out[key] = value.isoformat(timespec="minutes") if hasattr(value, "isoformat") else value
    out["callbacks"] = {kind: hook_url(row, kind) for kind in
                        ("sms/inbound", "sms/delivery", "sms/optout", "ussd")}  # fmt: skip
    out["callbacks"].update(chat_callbacks(row))
    out["whatsapp_verify_token"] = row.whatsapp_verify_token
    return out


@router.get("/messaging/settings")
def settings_get(request: HttpRequest) -> dict[str, Any]:
    require_role(request, Role.MANAGER)
    return _settings_out(current_business(request))


@router.patch("/messaging/settings")
def settings_patch(request: HttpRequest, payload: SettingsPatch) -> dict[str, Any]:
    """Managers change quiet hours, caps and prices (SMS, WhatsApp, Viber); the providers,
    the chat apps' modes and keys, the sender id and the link domains need the owner (403
    `owner_required`). A chat app switched on (`live`) without its keys is 422."""
    require_role(request, Role.MANAGER)
    business = current_business(request)
    by_owner = role_at_least(request.auth.role, Role.OWNER)  # type: ignore[attr-defined]
    messaging_settings_update(
        business=business, by_owner=by_owner, **payload.dict(exclude_unset=True)
    )
    return _settings_out(business)
