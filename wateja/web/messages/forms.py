"""Forms of the messaging screens: they parse what staff type (texts per variant and language,
a local send time, a price) and hand it to the messaging services, which decide."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from wateja.core.errors import DomainError
from wateja.core.money import Money, MoneyError, format_money, parse_money
from wateja.customers.models import Segment
from wateja.messaging.config import OWNER_ONLY
from wateja.messaging.models import (
    Automation,
    AutomationKind,
    ChannelChoice,
    MessagingSettings,
    Purpose,
    SendChannel,
    Template,
)
from wateja.tenants.models import Business

LANGUAGE_NAMES = {"en": "English", "sw": "Kiswahili", "hy": "Հայերեն", "ru": "Русский"}
LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)
MAX_VARIANTS = 6
BODY_FIELD = re.compile(r"^v(\d+)-([a-z]{2})-body$")
VARIANT_PATH = re.compile(r"^variants\.(\d+)(?:\.(label|weight|texts)(?:\.([a-z]{2})\.(\w+))?)?$")


def _verbose(model: Any, field: str) -> Any:
    return model._meta.get_field(field).verbose_name


# ---------------------------------------------------------------------------------------------
# Templates


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    channel = forms.ChoiceField(label=_("channel"), choices=SendChannel.choices)
    purpose = forms.ChoiceField(
        label=_("purpose"),
        choices=Purpose.choices,
        help_text=_("Marketing needs the customer's consent and ends with the opt-out line."),
    )

    def __init__(self, *args: Any, template: Template | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if template is not None:  # a template keeps its channel: its variants are written for it
            self.fields["channel"].disabled = True
            self.fields["channel"].initial = template.channel


def variants_from_template(template: Template | None) -> list[dict[str, Any]]:
    if template is None:
        return [{"label": "A", "weight": 1, "texts": {}}]
    rows = [
        {"label": v.label, "weight": v.weight, "texts": v.texts}
        for v in template.variants.filter(is_active=True).order_by("label")
    ]
    return rows or [{"label": "A", "weight": 1, "texts": {}}]


def variants_from_data(data: Any) -> list[dict[str, Any]]:
    """The variants as typed, every one (also the empty ones), in form order."""
    try:
        count = int(data.get("variant_count", "1"))
    except ValueError:
        count = 1
    count = max(1, min(count, MAX_VARIANTS))
    variants = []
    for i in range(count):
        texts = {
            code: {
                "subject": data.get(f"v{i}-{code}-subject", ""),
                "body": data.get(f"v{i}-{code}-body", ""),
            }
            for code in LANGUAGE_CODES
        }
        variants.append(
            {
                "label": data.get(f"v{i}-label", "").strip() or chr(ord("A") + i),
                "weight": data.get(f"v{i}-weight", "1").strip() or "0",
                "texts": texts,
            }
        )
    return variants


def _has_text(variant: dict[str, Any]) -> bool:
    return any(
        str(t.get("body", "")).strip() or str(t.get("subject", "")).strip()
        for t in variant["texts"].values()
    )


def variants_to_save(variants: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[int]]:
    """What goes to template_save: an empty variant block is no variant (unless every block
    is empty, then the first goes so the service says what is missing); also the form index
    of each saved variant, to put the service's errors back next to the right box."""
    indexes = [i for i, v in enumerate(variants) if _has_text(v)] or [0]
    saved = []
    for i in indexes:
        texts = {code: t for code, t in variants[i]["texts"].items() if str(t["body"]).strip()}
        saved.append({**variants[i], "texts": texts})
    return saved, indexes


def variant_errors(
    fields: dict[str, list[str]], indexes: list[int]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Split a ValidationFailed's fields into (form field → problems) and (editor box key →
    problems); box keys are "v0-label", "v0-sw-body", "v0" …, with form indexes."""
    general: dict[str, list[str]] = {}
    boxes: dict[str, list[str]] = {}
    for path, problems in fields.items():
        match = VARIANT_PATH.match(path)
        if match is None:
            general.setdefault(path, []).extend(problems)
            continue
        position = int(match.group(1))
        i = indexes[position] if position < len(indexes) else position
        part, language, which = match.group(2), match.group(3), match.group(4)
        if part in ("label", "weight"):
            key = f"v{i}-{part}"
        elif language:
            key = f"v{i}-{language}-{which or 'body'}"
        else:
            key = f"v{i}"
        boxes.setdefault(key, []).extend(problems)
    return general, boxes


def variant_rows(
    variants: list[dict[str, Any]],
    languages: list[str],
    boxes: dict[str, list[str]] | None = None,
    counters: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """What the editor draws: per variant its label and share, and per language the subject
    and body boxes with their names, problems and counter."""
    boxes = boxes or {}
    counters = counters or {}
    rows = []
    for i, variant in enumerate(variants):
        texts = variant.get("texts") or {}
        row_languages = []
        for code in languages:
            text = texts.get(code) or {}
            body_name = f"v{i}-{code}-body"
            row_languages.append(
                {
                    "code": code,
                    "name": LANGUAGE_NAMES.get(code, code),
                    "subject": text.get("subject", ""),
                    "body": text.get("body", ""),
                    "subject_name": f"v{i}-{code}-subject",
                    "body_name": body_name,
                    "subject_errors": boxes.get(f"v{i}-{code}-subject", []),
                    "body_errors": boxes.get(body_name, []) + boxes.get(f"v{i}-{code}-texts", []),
                    "counter": counters.get(body_name),
                    "open": bool(str(text.get("body", "")).strip()) or code == languages[0],
                }
            )
        rows.append(
            {
                "index": i,
                "label": variant.get("label", ""),
                "weight": variant.get("weight", 1),
                "label_errors": boxes.get(f"v{i}-label", []),
                "weight_errors": boxes.get(f"v{i}-weight", []),
                "errors": boxes.get(f"v{i}", []),
                "languages": row_languages,
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------
# Campaigns


def _template_choices(business: Business, channel: str) -> list[tuple[str, str]]:
    rows = Template.objects.filter(business=business, channel=channel).order_by("name")
    return [("", "—"), *((str(t.pk), t.name) for t in rows)]


def _optional_id(value: str) -> int | None:
    return int(value) if value else None


class CampaignForm(forms.Form):
    """Field names are the service's (segment_id, sms_template_id …), so its errors land on
    the right field."""

    name = forms.CharField(label=_("name"), max_length=150)
    segment_id = forms.ChoiceField(label=_("Send to"), required=False)
    channel = forms.ChoiceField(
        label=_("channel"), choices=ChannelChoice.choices, initial=ChannelChoice.PREFERRED
    )
    sms_template_id = forms.ChoiceField(label=_("SMS template"), required=False)
    email_template_id = forms.ChoiceField(label=_("E-mail template"), required=False)
    offer = forms.CharField(
        label=_("offer"), max_length=200, required=False, help_text=_("Fills in {offer}")
    )
    code = forms.CharField(
        label=_("code"), max_length=40, required=False, help_text=_("Fills in {code}")
    )
    link_url = forms.URLField(
        label=_("link"),
        required=False,
        help_text=_("Fills in {link}; each customer gets a tracked short link"),
        assume_scheme="https",
    )
    holdout_percent = forms.IntegerField(
        label=_("holdout group (%)"),
        min_value=0,
        initial=0,
        help_text=_("A share of the audience gets nothing, to measure what the message adds"),
    )

    def __init__(self, *args: Any, business: Business, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        segments = Segment.objects.filter(business=business).order_by("name")
        self.fields["segment_id"].choices = [  # type: ignore[attr-defined]
            ("", _("Every active customer")),
            *((str(s.pk), s.name) for s in segments),
        ]
        self.fields["sms_template_id"].choices = _template_choices(business, "sms")  # type: ignore[attr-defined]
        self.fields["email_template_id"].choices = _template_choices(business, "email")  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "segment_id": _optional_id(data["segment_id"]),
            "channel": data["channel"],
            "sms_template_id": _optional_id(data["sms_template_id"]),
            "email_template_id": _optional_id(data["email_template_id"]),
            "offer": data["offer"],
            "code": data["code"],
            "link_url": data["link_url"],
            "holdout_percent": data["holdout_percent"] or 0,
        }

    @staticmethod
    def initial_for(campaign: Any) -> dict[str, Any]:
        return {
            "name": campaign.name,
            "segment_id": str(campaign.segment_id or ""),
            "channel": campaign.channel,
            "sms_template_id": str(campaign.sms_template_id or ""),
            "email_template_id": str(campaign.email_template_id or ""),
            "offer": campaign.offer,
            "code": campaign.code,
            "link_url": campaign.link_url,
            "holdout_percent": campaign.holdout_percent,
        }


def local_to_utc(value: dt.datetime, tz_name: str) -> dt.datetime:
    """A wall-clock time in the business's time zone as an aware UTC time."""
    return value.replace(tzinfo=zoneinfo.ZoneInfo(tz_name)).astimezone(dt.UTC)


class LaunchForm(forms.Form):
    """Send now, or schedule at a time typed in the business's local time."""

    action = forms.ChoiceField(choices=[("now", "now"), ("schedule", "schedule")])
    at = forms.CharField(label=_("Send at"), required=False)

    def __init__(self, *args: Any, business: Business, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.business = business

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["at_utc"] = None
        if data.get("action") != "schedule":
            return data
        text = (data.get("at") or "").strip()
        try:
            local = dt.datetime.fromisoformat(text)
        except ValueError:
            self.add_error("at", _("Pick a date and time."))
            return data
        at = local_to_utc(local.replace(tzinfo=None), self.business.timezone)
        if at <= timezone.now():
            self.add_error("at", _("Pick a time in the future."))
        data["at_utc"] = at
        return data


# ---------------------------------------------------------------------------------------------
# Automations

DAILY_KINDS = {AutomationKind.BIRTHDAY, AutomationKind.EXPIRING, AutomationKind.WIN_BACK}
DAYS_KINDS = {AutomationKind.EXPIRING, AutomationKind.WIN_BACK, AutomationKind.PREFERENCES}
DAYS_HELP = {
    AutomationKind.EXPIRING: _("Remind this many days before the points expire"),
    AutomationKind.WIN_BACK: _("Write after this many days without a purchase"),
    AutomationKind.PREFERENCES: _("Write this many days after enrolment"),
}


class AutomationForm(forms.Form):
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    channel = forms.ChoiceField(
        label=_("channel"), choices=ChannelChoice.choices, initial=ChannelChoice.PREFERRED
    )
    sms_template_id = forms.ChoiceField(label=_("SMS template"), required=False)
    email_template_id = forms.ChoiceField(label=_("E-mail template"), required=False)
    delay_hours = forms.IntegerField(label=_("delay (hours)"), min_value=0, required=False)
    days = forms.IntegerField(label=_("days"), min_value=0, required=False)
    categories = forms.CharField(
        label=_("product categories"),
        max_length=300,
        required=False,
        help_text=_("Comma separated; a sale with one of them sends the support contacts"),
    )
    offer = forms.CharField(label=_("offer"), max_length=200, required=False)
    code = forms.CharField(label=_("code"), max_length=40, required=False)
    link_url = forms.URLField(label=_("link"), required=False, assume_scheme="https")
    holdout_percent = forms.IntegerField(
        label=_("holdout group (%)"), min_value=0, required=False, initial=0
    )

    def __init__(self, *args: Any, business: Business, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sms_template_id"].choices = _template_choices(business, "sms")  # type: ignore[attr-defined]
        self.fields["email_template_id"].choices = _template_choices(business, "email")  # type: ignore[attr-defined]
        if kind in DAILY_KINDS:
            del self.fields["delay_hours"]
        if kind not in DAYS_KINDS:
            del self.fields["days"]
        else:
            self.fields["days"].help_text = DAYS_HELP[AutomationKind(kind)]
        if kind != AutomationKind.SUPPORT:
            del self.fields["categories"]

    def values(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        for key in ("sms_template_id", "email_template_id"):
            values[key] = _optional_id(values[key])
        for key in ("delay_hours", "days", "holdout_percent"):
            if key in values:
                values[key] = values[key] or 0
        return values

    @staticmethod
    def initial_for(automation: Automation | None) -> dict[str, Any]:
        if automation is None:
            return {"is_active": True}
        return {
            "is_active": automation.is_active,
            "channel": automation.channel,
            "sms_template_id": str(automation.sms_template_id or ""),
            "email_template_id": str(automation.email_template_id or ""),
            "delay_hours": automation.delay_hours,
            "days": automation.days,
            "categories": automation.categories,
            "offer": automation.offer,
            "code": automation.code,
            "link_url": automation.link_url,
            "holdout_percent": automation.holdout_percent,
        }


# ---------------------------------------------------------------------------------------------
# Settings

SECRETS = ("at_api_key", "twilio_auth_token")


class MessagingSettingsForm(forms.Form):
    """Saved secrets are never sent back to the browser: a blank secret keeps the saved one.
    A manager sees what only the owner changes (the provider, its keys, the sender id, the
    link domains: OWNER_ONLY) read-only, and a post cannot change it."""

    sms_provider = forms.ChoiceField(
        label=_verbose(MessagingSettings, "sms_provider"),
        choices=MessagingSettings._meta.get_field("sms_provider").choices,  # type: ignore[arg-type]
    )
    sms_sender = forms.CharField(
        label=_verbose(MessagingSettings, "sms_sender"), max_length=20, required=False
    )
    at_username = forms.CharField(
        label=_verbose(MessagingSettings, "at_username"), max_length=100, required=False
    )
    at_api_key = forms.CharField(
        label=_verbose(MessagingSettings, "at_api_key"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    twilio_account_sid = forms.CharField(
        label=_verbose(MessagingSettings, "twilio_account_sid"), max_length=64, required=False
    )
    twilio_auth_token = forms.CharField(
        label=_verbose(MessagingSettings, "twilio_auth_token"),
        max_length=64,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    forget_secrets = forms.BooleanField(label=_("Forget the saved keys"), required=False)
    sms_price = forms.CharField(
        label=_verbose(MessagingSettings, "sms_price_minor"), max_length=20, required=False
    )
    email_provider = forms.ChoiceField(
        label=_verbose(MessagingSettings, "email_provider"),
        choices=MessagingSettings._meta.get_field("email_provider").choices,  # type: ignore[arg-type]
    )
    email_from = forms.EmailField(label=_verbose(MessagingSettings, "email_from"), required=False)
    quiet_start = forms.TimeField(
        label=_verbose(MessagingSettings, "quiet_start"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=_verbose(MessagingSettings, "quiet_end"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    cap_count = forms.IntegerField(label=_verbose(MessagingSettings, "cap_count"), min_value=0)
    cap_days = forms.IntegerField(label=_verbose(MessagingSettings, "cap_days"), min_value=0)
    rate_per_second = forms.IntegerField(
        label=_verbose(MessagingSettings, "rate_per_second"), min_value=0
    )
    attribution_days = forms.IntegerField(
        label=_verbose(MessagingSettings, "attribution_days"), min_value=0
    )
    link_domains = forms.CharField(
        label=_verbose(MessagingSettings, "link_domains"),
        max_length=500,
        required=False,
        help_text=MessagingSettings._meta.get_field("link_domains").help_text,
    )

    def __init__(self, *args: Any, business: Business, owner: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.business = business
        self.owner = owner
        if not owner:
            for name in (*OWNER_ONLY, "forget_secrets"):
                if name in self.fields:
                    self.fields[name].disabled = True

    @staticmethod
    def initial_for(row: MessagingSettings, business: Business) -> dict[str, Any]:
        language = translation.get_language() or "en"
        initial = {
            name: getattr(row, name)
            for name in MessagingSettingsForm.base_fields
            if hasattr(row, name) and name not in SECRETS
        }
        initial["sms_price"] = format_money(
            Money(row.sms_price_minor, business.currency), language, with_currency=False
        )
        return initial

    def clean_sms_price(self) -> int | None:
        text = (self.cleaned_data.get("sms_price") or "").strip()
        if not text:
            return None
        try:
            money = parse_money(text, self.business.currency, translation.get_language() or "en")
        except MoneyError:
            raise forms.ValidationError(_("The amount is not valid.")) from None
        return money.amount_minor

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        price = data.pop("sms_price")
        if price is not None:
            data["sms_price_minor"] = price
        forget = data.pop("forget_secrets")
        for key in SECRETS:
            if forget:
                data[key] = ""
            elif not data[key]:
                data.pop(key)  # blank keeps what is saved
        if not self.owner:  # read-only for a manager: what is saved stays
            for key in OWNER_ONLY:
                data.pop(key, None)
        return data

    def apply_error(self, error: DomainError) -> None:
        fields = error.details.get("fields", {})
        for field, problems in fields.items():
            target = "sms_price" if field == "sms_price_minor" else field
            for problem in problems:
                self.add_error(target if target in self.fields else None, problem)
        if not fields:
            self.add_error(None, str(error.message))
