"""Messaging models: per-business settings, templates with variants per language, campaigns,
automations (triggers), the outbox (`Message`) with every delivery attempt, inbound SMS, and
conversions attributed to messages."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wateja.customers.models import Customer, Segment
from wateja.tenants.scoping import BusinessOwned, OwnedOneToOneField, tenant_key
from wateja.tenants.secrets import EncryptedTextField


def _token() -> str:
    return secrets.token_urlsafe(18)


class SendChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")
    VIBER = "viber", _("Viber")


# the chat apps: an address of their own (MessengerContact), free text, no SMS segments
MESSENGERS = (SendChannel.WHATSAPP, SendChannel.TELEGRAM, SendChannel.VIBER)


class Purpose(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    SERVICE = "service", _("Service")


class SmsProvider(models.TextChoices):
    OUTBOX = "outbox", _("Record only (development)")
    AFRICASTALKING = "africastalking", _("Africa's Talking")
    TWILIO = "twilio", _("Twilio")


class EmailProvider(models.TextChoices):
    OUTBOX = "outbox", _("Record only (development)")
    SMTP = "smtp", _("SMTP")


class MessengerMode(models.TextChoices):
    OFF = "off", _("Off")
    OUTBOX = "outbox", _("Record only (development)")
    LIVE = "live", _("On")


class FeedbackScale(models.TextChoices):
    STARS = "stars", _("1 to 5 stars")
    NPS = "nps", _("0 to 10 (would you recommend us?)")


class FeedbackAlert(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    NONE = "none", _("No alert (the to-do list only)")


class MessagingSettings(BusinessOwned):
    """How one business sends: providers and their credentials (kept here, never in the
    repository), prices, quiet hours, frequency cap and the attribution window."""

    sms_provider = models.CharField(
        _("SMS provider"), max_length=20, choices=SmsProvider.choices, default=SmsProvider.OUTBOX
    )
    sms_sender = models.CharField(_("SMS sender id"), max_length=20, blank=True)
    at_username = models.CharField(_("Africa's Talking username"), max_length=100, blank=True)
    # provider secrets: stored encrypted (Fernet), plain text in Python (tenants/secrets.py)
    at_api_key = EncryptedTextField(_("Africa's Talking API key"), blank=True)
    twilio_account_sid = models.CharField(_("Twilio account SID"), max_length=64, blank=True)
    twilio_auth_token = EncryptedTextField(_("Twilio auth token"), blank=True)
    provider_api_base = models.CharField(max_length=200, blank=True)
    sms_price_minor = models.PositiveIntegerField(
        _("price per SMS segment"), default=100, help_text=_("In the business currency")
    )
    email_provider = models.CharField(
        _("e-mail provider"),
        max_length=10,
        choices=EmailProvider.choices,
        default=EmailProvider.OUTBOX,
    )
    email_from = models.EmailField(_("e-mail sender address"), blank=True)
    quiet_start = models.TimeField(_("quiet hours from"), default=dt.time(21, 0))
    quiet_end = models.TimeField(_("quiet hours until"), default=dt.time(8, 0))
    cap_count = models.PositiveSmallIntegerField(
        _("at most this many marketing messages"), default=3
    )
    cap_days = models.PositiveSmallIntegerField(_("per this many days"), default=7)
    rate_per_second = models.PositiveSmallIntegerField(
        _("provider rate limit (per second)"), default=20
    )
    attribution_days = models.PositiveSmallIntegerField(
        _("a purchase within this many days counts for the message"), default=7
    )
    hook_token = models.CharField(max_length=40, default=_token)
    hook_secret = EncryptedTextField(default=_token)  # basic auth on callbacks
    hook_allowed_ips = models.TextField(
        _("provider addresses allowed to call back"),
        blank=True,
        help_text=_("One address or network per line (e.g. 196.201.214.0/24); empty: any."),
    )
    attributed_until = models.DateTimeField(null=True, blank=True)
    # WhatsApp Business Cloud API (Meta): the number's id, a system-user access token, the
    # app secret that signs the status webhooks, and the token Meta echoes when subscribing
    whatsapp_mode = models.CharField(
        _("WhatsApp"), max_length=6, choices=MessengerMode.choices, default=MessengerMode.OFF
    )
    whatsapp_phone_number_id = models.CharField(
        _("WhatsApp phone number ID"), max_length=40, blank=True
    )
    whatsapp_number = models.CharField(
        _("WhatsApp number customers write to"), max_length=20, blank=True, help_text=_("E.164")
    )
    whatsapp_access_token = EncryptedTextField(_("WhatsApp access token"), blank=True)
    whatsapp_app_secret = EncryptedTextField(_("WhatsApp app secret"), blank=True)
    whatsapp_verify_token = models.CharField(max_length=40, default=_token)
    whatsapp_price_minor = models.PositiveIntegerField(
        _("price per WhatsApp template message"),
        default=0,
        help_text=_("In the business currency; replies within 24 hours are free"),
    )
    whatsapp_api_base = models.CharField(max_length=200, blank=True)
    # Telegram bot: its token from @BotFather, its username for t.me links, and the secret
    # Telegram sends back on every update (setWebhook secret_token)
    telegram_mode = models.CharField(
        _("Telegram"), max_length=6, choices=MessengerMode.choices, default=MessengerMode.OFF
    )
    telegram_bot_token = EncryptedTextField(_("Telegram bot token"), blank=True)
    telegram_bot_username = models.CharField(_("Telegram bot username"), max_length=64, blank=True)
    telegram_secret = EncryptedTextField(default=_token)
    telegram_api_base = models.CharField(max_length=200, blank=True)
    # Viber bot (Armenia): its auth token signs every callback; its URI makes the deep link
    viber_mode = models.CharField(
        _("Viber"), max_length=6, choices=MessengerMode.choices, default=MessengerMode.OFF
    )
    viber_auth_token = EncryptedTextField(_("Viber bot token"), blank=True)
    viber_bot_uri = models.CharField(_("Viber bot URI"), max_length=64, blank=True)
    viber_bot_name = models.CharField(_("Viber bot name"), max_length=28, blank=True)
    viber_price_minor = models.PositiveIntegerField(
        _("price per Viber message"), default=0, help_text=_("In the business currency")
    )
    viber_api_base = models.CharField(max_length=200, blank=True)
    link_domains = models.CharField(
        _("websites messages may link to"),
        max_length=500,
        blank=True,
        help_text=_(
            "The business's own domains, comma separated (e.g. kahawa.co.ke); their "
            "subdomains too. Links to anywhere else are refused."
        ),
    )
    # the business's own words per command customers text, added to the built-in ones:
    # {"offers": ["PROMO"], "yes": ["SAWA"], ...} (wateja.core.sending.EXTENSIBLE)
    keywords = models.JSONField(_("own keywords"), default=dict, blank=True)
    # feedback after a purchase: the scale customers rate on, what counts as a low rating
    # (it opens a complaint for someone to call back), who owns it, by when, and the alert
    feedback_scale = models.CharField(
        _("feedback scale"),
        max_length=5,
        choices=FeedbackScale.choices,
        default=FeedbackScale.STARS,
    )
    feedback_low_at = models.PositiveSmallIntegerField(
        _("a rating at or below this opens a complaint"),
        default=2,
        help_text=_("Stars: 1 to 5; NPS: 0 to 10 (6 or below are detractors)."),
    )
    feedback_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("complaint owner"),
        help_text=_("Empty: the manager of the location where the sale was made."),
    )
    feedback_due_hours = models.PositiveSmallIntegerField(
        _("call the customer back within (hours)"), default=24
    )
    feedback_alert = models.CharField(
        _("alert the manager by"),
        max_length=5,
        choices=FeedbackAlert.choices,
        default=FeedbackAlert.SMS,
    )
    feedback_alert_to = models.CharField(
        _("send the alert to"),
        max_length=254,
        blank=True,
        help_text=_(
            "A phone number for SMS or an e-mail address. Empty: the location's phone, or "
            "the complaint owner's e-mail."
        ),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hook_token"], name="messaging_hook_token_unique"),
            models.UniqueConstraint(fields=["business"], name="messaging_settings_per_business"),
        ]


class Template(BusinessOwned):
    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=10, choices=SendChannel.choices)
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.MARKETING
    )
    # an SMS template's wording goes on Telegram, Viber and WhatsApp too; WhatsApp lets a
    # business write first only with a template Meta approved: its name there
    whatsapp_name = models.CharField(
        _("approved WhatsApp template name"),
        max_length=512,
        blank=True,
        help_text=_(
            "The name Meta approved this wording under (lowercase, underscores). Without it, "
            "WhatsApp gets the message only within 24 hours of the customer's last message."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("template")
        ordering = ["name"]
        constraints = [
            tenant_key("messaging_template"),
            models.UniqueConstraint(fields=["business", "name"], name="template_name_per_business"),
        ]

    def __str__(self) -> str:
        return self.name


class Variant(BusinessOwned):
    """One wording of a template, in every language the business writes: `texts` maps a
    language code to {"subject": …, "body": …}. Variants of a template are rotated by weight."""

    template = models.ForeignKey(
        Template, on_delete=models.CASCADE, related_name="variants", db_constraint=False
    )
    label = models.CharField(_("variant"), max_length=20, default="A")
    weight = models.PositiveSmallIntegerField(_("share"), default=1)
    texts = models.JSONField(default=dict)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["template_id", "label"]
        constraints = [
            tenant_key("messaging_variant"),
            models.UniqueConstraint(
                fields=["business", "template", "label"], name="variant_label_per_template"
            ),
        ]


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class ChannelChoice(models.TextChoices):
    PREFERRED = "preferred", _("Each customer's preferred channel, else the next they allow")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    BOTH = "both", _("Both SMS and e-mail")
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")
    VIBER = "viber", _("Viber")


class Sending(BusinessOwned):
    """What campaigns and automations share: the channel rule, a template per channel, the
    values for {offer}, {code} and {link}, and the share of customers held back."""

    channel = models.CharField(
        _("channel"), max_length=10, choices=ChannelChoice.choices, default=ChannelChoice.PREFERRED
    )
    sms_template = models.ForeignKey(
        Template,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    email_template = models.ForeignKey(
        Template,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    offer = models.CharField(_("offer"), max_length=200, blank=True)
    code = models.CharField(_("code"), max_length=40, blank=True)
    link_url = models.URLField(_("link"), blank=True)
    holdout_percent = models.PositiveSmallIntegerField(_("holdout group (%)"), default=0)

    class Meta:
        abstract = True


class QuestionKind(models.TextChoices):
    STARS = "stars", _("1 to 5 stars")
    CHOICE = "choice", _("Choice")
    TEXT = "text", _("Free text")


MAX_QUESTIONS = 5


class Survey(BusinessOwned):
    """A short survey (up to MAX_QUESTIONS questions) a campaign sends: its link opens the
    survey page. `questions` is a list of {"kind": stars|choice|text, "text": …,
    "choices": […], "interests": bool}; a choice question marked "interests" adds the
    customer's choices to their interests."""

    title = models.CharField(_("title"), max_length=150)
    questions = models.JSONField(_("questions"), default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("survey")
        ordering = ["-created_at", "-id"]
        constraints = [tenant_key("messaging_survey")]

    def __str__(self) -> str:
        return self.title


class Campaign(Sending):
    name = models.CharField(_("name"), max_length=150)
    survey = models.ForeignKey(
        Survey,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("survey"),
        db_constraint=False,
    )
    segment = models.ForeignKey(
        Segment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict)  # audience, queued, holdout, skipped by reason
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="campaign_due")]
        constraints = [tenant_key("messaging_campaign")]

    def __str__(self) -> str:
        return self.name


class AutomationKind(models.TextChoices):
    WELCOME = "welcome", _("Welcome with the card number")
    THANK_YOU = "thank_you", _("Thank you after a purchase")
    SUPPORT = "support", _("Support contacts after a sale")
    EXPIRING = "expiring", _("Points expiring soon")
    BIRTHDAY = "birthday", _("Birthday")
    WIN_BACK = "win_back", _("Win back after days without a purchase")
    CART_1 = "cart_1", _("Unfinished order: first reminder")
    CART_2 = "cart_2", _("Unfinished order: second reminder")
    SECOND_PURCHASE = "second_purchase", _("Offer for a second purchase")
    FEEDBACK = "feedback", _("Feedback request after a purchase")
    PREFERENCES = "preferences", _("Personal letter: which services would you like")
    VISIT_MILESTONE = "visit_milestone", _("A milestone visit (the 10th, the 50th …)")
    ANNIVERSARY = "anniversary", _("A year with us")


class Automation(Sending):
    """A trigger: an event (enrolment, purchase, points expiring …) sends a template after a
    delay. The runner keeps `scanned_until` so each event is looked at once; the message's
    dedupe key makes a second look harmless."""

    kind = models.CharField(_("when"), max_length=20, choices=AutomationKind.choices)
    delay_hours = models.PositiveIntegerField(_("delay (hours)"), default=0)
    days = models.PositiveIntegerField(
        _("days"), default=0, help_text=_("Expiring: days ahead; win-back: days without a purchase")
    )
    categories = models.CharField(
        _("product categories"), max_length=300, blank=True, help_text=_("Comma separated")
    )
    is_active = models.BooleanField(_("active"), default=True)
    scanned_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("automation")
        ordering = ["kind", "id"]
        constraints = [
            tenant_key("messaging_automation"),
            models.UniqueConstraint(
                fields=["business", "kind"], name="automation_kind_per_business"
            ),
        ]


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent")
    HOLDOUT = "holdout", _("Holdout (not sent on purpose)")


class SkipReason(models.TextChoices):
    NO_CONSENT = "no_consent", _("No consent for this channel")
    NO_CONTACT = "no_contact", _("No phone or e-mail")
    FREQUENCY_CAP = "frequency_cap", _("Frequency cap reached")
    BLOCKED = "blocked", _("Customer blocked or erased")
    NO_TEMPLATE = "no_template", _("No template for this channel")


class Message(BusinessOwned):
    """One message to one customer on one channel: written by the service that decides to
    send (in its transaction), sent once by the worker."""

    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        db_constraint=False,
    )
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        db_constraint=False,
    )
    automation = models.ForeignKey(
        Automation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        db_constraint=False,
    )
    variant = models.ForeignKey(
        Variant,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        db_constraint=False,
    )
    channel = models.CharField(max_length=10, choices=SendChannel.choices)
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    to_address = models.CharField(max_length=254, blank=True)
    language = models.CharField(max_length=5, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=MessageStatus.choices)
    skip_reason = models.CharField(max_length=20, choices=SkipReason.choices, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    provider = models.CharField(max_length=20, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    segments = models.PositiveSmallIntegerField(default=0)
    cost_minor = models.BigIntegerField(default=0)
    link_url = models.URLField(max_length=500, blank=True)
    # WhatsApp outside the 24-hour window: the approved template and its parameters
    # ({"template": name, "language": code, "params": [text, …]}); empty otherwise
    payload = models.JSONField(default=dict, blank=True)
    # a chat-app message that fails for good goes by SMS instead, with this text
    fallback_body = models.TextField(blank=True)
    fallback_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    dedupe_key = models.CharField(max_length=120, null=True, blank=True)
    token = models.CharField(max_length=40, default=_token)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        ordering = ["-created_at", "-id"]
        constraints = [
            # no tenant_key: partitioned on PostgreSQL (tenants.partitioning)
            models.UniqueConstraint(
                fields=["business", "dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="message_once_per_key",
            ),
            models.UniqueConstraint(fields=["token"], name="message_token_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "not_before"], name="message_due"),
            models.Index(fields=["business", "customer", "created_at"], name="message_customer"),
            models.Index(fields=["provider", "provider_id"], name="message_provider_id"),
        ]


class Delivery(BusinessOwned):
    """One attempt to send a message, or one delivery report about it."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="deliveries", db_constraint=False
    )
    attempt = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=20)  # sent | queued | retry | failed | report:<status>
    detail = models.CharField(max_length=500, blank=True)
    raw = models.JSONField(default=dict)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [tenant_key("messaging_delivery")]


class InboundAction(models.TextChoices):
    STOP = "stop", _("Unsubscribed")
    START = "start", _("Subscribed again")
    BALANCE = "balance", _("Balance asked")
    OFFERS = "offers", _("Offers asked")
    CARD = "card", _("Card asked")
    RSVP = "rsvp", _("Answered an invitation")
    LINKED = "linked", _("Chat linked to the card")
    UNKNOWN = "unknown", _("Not understood")


class InboundMessage(BusinessOwned):
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    channel = models.CharField(max_length=10, choices=SendChannel.choices, default="sms")
    from_phone = models.CharField(max_length=64)  # a phone, or the chat app's user id
    text = models.CharField(max_length=1000)
    action = models.CharField(max_length=10, choices=InboundAction.choices)
    provider_id = models.CharField(max_length=100, blank=True)
    reply = models.ForeignKey(
        Message,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [tenant_key("messaging_inboundmessage")]


class MessengerContact(BusinessOwned):
    """A customer's address on a chat app: a Telegram chat, a Viber user, a WhatsApp number.
    Made when the customer writes first (a deep link from their card carries a link code);
    `last_inbound_at` opens WhatsApp's 24-hour window; unsubscribing on Viber or blocking the
    bot sets `unlinked_at` and nothing more goes there."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="messenger_contacts", db_constraint=False
    )
    channel = models.CharField(max_length=10, choices=SendChannel.choices)
    external_id = models.CharField(max_length=64)
    display_name = models.CharField(max_length=100, blank=True)
    linked_at = models.DateTimeField()
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    unlinked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "channel", "external_id"], name="messenger_contact_once"
            )
        ]
        indexes = [
            models.Index(fields=["business", "customer", "channel"], name="messenger_contact_of")
        ]


class MessengerLinkCode(BusinessOwned):
    """A one-time code in a deep link from the customer's card to a chat app (t.me/…?start=,
    viber://pa?…&context=, wa.me/…?text=): whoever writes it to the bot within the hour
    links that chat to this customer."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    channel = models.CharField(max_length=10, choices=SendChannel.choices)
    code = models.CharField(max_length=40)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # looked up with its business (each business's bot); random, 32 characters
            models.UniqueConstraint(fields=["business", "code"], name="messenger_link_code_unique"),
        ]


class Conversion(BusinessOwned):
    """An order attributed to the last message the customer got within the attribution
    window (holdout rows included, so the holdout group's conversions are measured too)."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="conversions", db_constraint=False
    )
    order = OwnedOneToOneField("orders.Order", on_delete=models.CASCADE, related_name="+")
    revenue_minor = models.BigIntegerField()
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "order"], name="conversion_once_per_order")
        ]


class Feedback(BusinessOwned):
    """A one-question rating a customer gave through a feedback link: 1–5 stars or 0–10 (NPS),
    on the scale the business had set when it was asked; tied to the sale the request
    followed (where, who served). A low rating opens a complaint (`complaint`)."""

    message = OwnedOneToOneField(Message, on_delete=models.CASCADE, related_name="feedback")
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    scale = models.CharField(max_length=5, choices=FeedbackScale.choices, default="stars")
    rating = models.PositiveSmallIntegerField()  # the score on `scale`
    comment = models.CharField(max_length=1000, blank=True)
    at = models.DateTimeField()
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    location = models.ForeignKey(
        "tenants.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    staff = models.ForeignKey(  # the cashier of the sale
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    complaint = models.ForeignKey(
        "customers.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["business", "at"], name="feedback_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "message"], name="feedback_once_per_message"
            )
        ]

    @property
    def top(self) -> int:
        """The scale's best score: 5 stars, or 10."""
        return 10 if self.scale == FeedbackScale.NPS else 5


class SurveyAnswer(BusinessOwned):
    """One customer's answers to a survey, through their message's link (once per message;
    answering again replaces them). `answers` maps the question's position ("0"…"4") to a
    number (stars), a list of choices, or text."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="answers", db_constraint=False
    )
    message = OwnedOneToOneField(Message, on_delete=models.CASCADE, related_name="survey_answer")
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    answers = models.JSONField(default=dict)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "message"], name="survey_answer_once_per_message"
            )
        ]
