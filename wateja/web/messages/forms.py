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
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wateja.core.errors import DomainError
from wateja.core.money import Money, MoneyError, format_money, parse_money
from wateja.customers.models import Segment
from wateja.messaging.config import OWNER_ONLY, SECRETS
from wateja.messaging.models import (
    MESSENGERS,
    Automation,
    AutomationKind,
    ChannelChoice,
    MessagingSettings,
    MessengerMode,
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
    """A template's name, channel (SMS or e-mail: an SMS wording goes on the chat apps too)
    and purpose; and, when the business uses WhatsApp, the name Meta approved the wording
    under (checked by the service)."""

    name = forms.CharField(label=_("name"), max_length=100)
    channel = forms.ChoiceField(
        label=_("channel"),
        choices=[(SendChannel.SMS.value, SendChannel.SMS.label),
                 (SendChannel.EMAIL.value, SendChannel.EMAIL.label)],
    )  # fmt: skip
    purpose = forms.ChoiceField(
        label=_("purpose"),
        choices=Purpose.choices,
        help_text=_("Marketing needs the customer's consent and ends with the opt-out line."),
    )
    whatsapp_name = forms.CharField(
        label=_verbose(Template, "whatsapp_name"),
        max_length=512,
        required=False,
        help_text=Template._meta.get_field("whatsapp_name").help_text,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(
        self,
        *args: Any,
        template: Template | None = None,
        whatsapp: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if template is not None:  # a template keeps its channel: its variants are written for it
            self.fields["channel"].disabled = True
            self.fields["channel"].initial = template.channel
        keeps_name = template is not None and bool(template.whatsapp_name)
        not_sms = template is not None and template.channel != SendChannel.SMS
        if not_sms or not (whatsapp or keeps_name):  # nothing to name on WhatsApp
            del self.fields["whatsapp_name"]

    def approved_name(self) -> str | None:
        """The approved name as typed ("" clears it), or None when the form has no such box."""
        if "whatsapp_name" not in self.fields:
            return None
        return str(self.cleaned_data.get("whatsapp_name") or "")


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


def channel_choices(apps_on: tuple[str, ...], keep: str = "") -> list[tuple[str, Any]]:
    """The channel rules a sending may use: a chat app only when the business has it on (or
    the sending uses it already, so it is not silently changed)."""
    return [
        (value, label)
        for value, label in ChannelChoice.choices
        if value not in MESSENGERS or value in apps_on or value == keep
    ]


PREFERRED_HELP = _(
    "Each customer's preferred channel: the one they chose, else the next one they allow. A "
    "chat message that cannot be delivered goes by SMS instead."
)


def _chat_help(apps_on: tuple[str, ...]) -> str:
    names = ", ".join(str(SendChannel(app).label) for app in apps_on)
    also = gettext("The SMS template's wording also goes on %(apps)s.") % {"apps": names}
    return f"{PREFERRED_HELP} {also}"


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

    def __init__(
        self,
        *args: Any,
        business: Business,
        apps_on: tuple[str, ...] = (),
        keep_channel: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = channel_choices(apps_on, keep_channel)  # type: ignore[attr-defined]
        self.fields["channel"].help_text = _chat_help(apps_on) if apps_on else PREFERRED_HELP
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

DAILY_KINDS = {
    AutomationKind.BIRTHDAY,
    AutomationKind.EXPIRING,
    AutomationKind.WIN_BACK,
    AutomationKind.ANNIVERSARY,
}
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

    def __init__(
        self,
        *args: Any,
        business: Business,
        kind: str,
        apps_on: tuple[str, ...] = (),
        keep_channel: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = channel_choices(apps_on, keep_channel)  # type: ignore[attr-defined]
        self.fields["channel"].help_text = _chat_help(apps_on) if apps_on else PREFERRED_HELP
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

# the saved keys each "forget" box clears
FORGET = {
    "forget_secrets": ("at_api_key", "twilio_auth_token"),
    "forget_whatsapp": ("whatsapp_access_token", "whatsapp_app_secret"),
    "forget_telegram": ("telegram_bot_token",),
    "forget_viber": ("viber_auth_token",),
}
PRICES = {
    "sms_price": "sms_price_minor",
    "whatsapp_price": "whatsapp_price_minor",
    "viber_price": "viber_price_minor",
}
CHAT_FIELDS = {
    SendChannel.WHATSAPP: ("whatsapp_mode", "whatsapp_phone_number_id", "whatsapp_number",
                           "whatsapp_access_token", "whatsapp_app_secret", "whatsapp_price",
                           "forget_whatsapp"),
    SendChannel.TELEGRAM: ("telegram_mode", "telegram_bot_token", "telegram_bot_username",
                           "forget_telegram"),
    SendChannel.VIBER: ("viber_mode", "viber_auth_token", "viber_bot_uri", "viber_bot_name",
                        "viber_price", "forget_viber"),
}  # fmt: skip


def _secret(field: str, max_length: int = 500, help_text: Any = "") -> forms.CharField:
    """A key box: never filled in with the saved key (a blank one keeps it)."""
    return forms.CharField(
        label=_verbose(MessagingSettings, field),
        max_length=max_length,
        required=False,
        help_text=help_text,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


def _text(field: str, help_text: Any = "") -> forms.CharField:
    model_field: Any = MessagingSettings._meta.get_field(field)
    return forms.CharField(
        label=model_field.verbose_name,
        max_length=model_field.max_length,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


def _mode() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Messages on this app"),
        choices=MessengerMode.choices,
        required=False,  # left out of a post: stays as saved
        help_text=_("Record only: messages are kept in the Outbox as sent; nothing leaves."),
    )


def _price(field: str) -> forms.CharField:
    model_field: Any = MessagingSettings._meta.get_field(field)
    return forms.CharField(
        label=model_field.verbose_name,
        max_length=20,
        required=False,
        help_text=model_field.help_text,
    )


class MessagingSettingsForm(forms.Form):
    """Saved secrets are never sent back to the browser: a blank secret keeps the saved one.
    A manager sees what only the owner changes (the providers and chat apps, their keys, the
    sender id, the link domains: OWNER_ONLY) read-only, and a post cannot change it."""

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
    at_api_key = _secret("at_api_key", 200)
    twilio_account_sid = forms.CharField(
        label=_verbose(MessagingSettings, "twilio_account_sid"), max_length=64, required=False
    )
    twilio_auth_token = _secret("twilio_auth_token", 64)
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
    # chat apps (shown in a section of their own, CHAT_FIELDS)
    whatsapp_mode = _mode()
    whatsapp_phone_number_id = _text(
        "whatsapp_phone_number_id", _("Meta's WhatsApp Manager → API setup → Phone number ID.")
    )
    whatsapp_number = _text(
        "whatsapp_number", _("The number customers write to, e.g. +254712000111.")
    )
    whatsapp_access_token = _secret(
        "whatsapp_access_token", help_text=_("A permanent token of a system user of the app.")
    )
    whatsapp_app_secret = _secret(
        "whatsapp_app_secret",
        help_text=_("Meta app → Settings → Basic: it signs the calls WhatsApp makes to Wateja."),
    )
    whatsapp_price = _price("whatsapp_price_minor")
    forget_whatsapp = forms.BooleanField(label=_("Forget the saved keys"), required=False)
    telegram_mode = _mode()
    telegram_bot_token = _secret("telegram_bot_token", help_text=_("From @BotFather."))
    telegram_bot_username = _text(
        "telegram_bot_username",
        _("Without @, e.g. KahawaBot: the button on the customer's card opens it."),
    )
    forget_telegram = forms.BooleanField(label=_("Forget the saved keys"), required=False)
    viber_mode = _mode()
    viber_auth_token = _secret(
        "viber_auth_token",
        help_text=_("From the Viber admin panel: it signs every call Viber makes to Wateja."),
    )
    viber_bot_uri = _text("viber_bot_uri", _("The bot's URI: what follows chatURI= in its link."))
    viber_bot_name = _text("viber_bot_name", _("Shown to customers as the sender."))
    viber_price = _price("viber_price_minor")
    forget_viber = forms.BooleanField(label=_("Forget the saved keys"), required=False)

    def __init__(self, *args: Any, business: Business, owner: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.business = business
        self.owner = owner
        if not owner:
            for name in (*OWNER_ONLY, *FORGET):
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
        for name, column in PRICES.items():
            initial[name] = format_money(
                Money(getattr(row, column), business.currency), language, with_currency=False
            )
        return initial

    def chat_apps(self) -> list[dict[str, Any]]:
        """The chat apps' boxes, one group per app, for the section of their own."""
        return [
            {"channel": app, "label": SendChannel(app).label,
             "fields": [self[name] for name in names]}
            for app, names in CHAT_FIELDS.items()
        ]  # fmt: skip

    def chat_field_names(self) -> set[str]:
        return {name for names in CHAT_FIELDS.values() for name in names}

    def _clean_price(self, name: str) -> int | None:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return None
        try:
            money = parse_money(text, self.business.currency, translation.get_language() or "en")
        except MoneyError:
            raise forms.ValidationError(_("The amount is not valid.")) from None
        if money.amount_minor < 0:
            raise forms.ValidationError(_("The amount is not valid."))
        return money.amount_minor

    def clean_sms_price(self) -> int | None:
        return self._clean_price("sms_price")

    def clean_whatsapp_price(self) -> int | None:
        return self._clean_price("whatsapp_price")

    def clean_viber_price(self) -> int | None:
        return self._clean_price("viber_price")

    def clean_telegram_bot_username(self) -> str:
        """As the owner may paste it: "@kahawa_bot" or "https://t.me/kahawa_bot"."""
        text = str(self.cleaned_data.get("telegram_bot_username") or "").strip()
        return re.sub(r"^(?:https?://)?(?:t\.me/|telegram\.me/)?@?", "", text).strip("/")

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for names in CHAT_FIELDS.values():  # a post without the chat apps' boxes keeps them
            for name in names:
                if name not in self.data and not name.startswith("forget_"):
                    data.pop(name, None)
        for name, column in PRICES.items():
            price = data.pop(name, None)
            if price is not None:
                data[column] = price
        forget = {key for box, keys in FORGET.items() if data.pop(box, False) for key in keys}
        for key in SECRETS:
            if key in forget:
                data[key] = ""
            elif not data.get(key):
                data.pop(key, None)  # blank keeps what is saved
        if not self.owner:  # read-only for a manager: what is saved stays
            for key in OWNER_ONLY:
                data.pop(key, None)
        return data

    def apply_error(self, error: DomainError) -> None:
        fields = error.details.get("fields", {})
        targets = {column: name for name, column in PRICES.items()}
        for field, problems in fields.items():
            target = targets.get(field, field)
            for problem in problems:
                self.add_error(target if target in self.fields else None, problem)
        if not fields:
            self.add_error(None, str(error.message))
