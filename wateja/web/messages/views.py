"""Messaging screens: the overview (campaigns, automations, templates, outbox with the latest
chat messages), the template editor with its server-side SMS counter (and each chat app's
length limit) and preview, the campaign builder with reach and cost per channel before
sending, automations, and the messaging settings with the chat apps (and telling Telegram or
Viber the bot's address). Views parse and render; the messaging services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError, NotFound
from wateja.core.templating import PLACEHOLDERS
from wateja.messaging import screens
from wateja.messaging.automations import automation_save
from wateja.messaging.campaigns import (
    campaign_cancel,
    campaign_launch,
    campaign_save,
)
from wateja.messaging.channels.telegram import telegram_set_webhook
from wateja.messaging.channels.viber import viber_set_webhook
from wateja.messaging.composing import template_save
from wateja.messaging.config import (
    SECRETS,
    hook_url,
    masked,
    messaging_settings,
    messaging_settings_update,
    messengers_on,
)
from wateja.messaging.hook_auth import hook_rotate
from wateja.messaging.models import (
    MESSENGERS,
    Automation,
    AutomationKind,
    Campaign,
    CampaignStatus,
    MessageStatus,
    MessagingSettings,
    MessengerMode,
    SendChannel,
    SkipReason,
    SmsProvider,
    Template,
)
from wateja.messaging.selectors import (
    automation_results,
    campaign_results,
    latest_sms,
    outbox_summary,
)
from wateja.messaging.worker import worker_running
from wateja.operations.background import job_get, job_start, latest_job
from wateja.operations.models import BackgroundJob, JobStatus
from wateja.tenants.models import Business
from wateja.tenants.roles import Role, role_at_least
from wateja.tenants.services import audit_record
from wateja.web.confirm import confirm_first
from wateja.web.errors import apply_to_form
from wateja.web.jobs.views import status_context
from wateja.web.messages.forms import (
    BODY_FIELD,
    PRICES,
    AutomationForm,
    CampaignForm,
    LaunchForm,
    MessagingSettingsForm,
    TemplateForm,
    variant_errors,
    variant_rows,
    variants_from_data,
    variants_from_template,
    variants_to_save,
)
from wateja.web.permissions import owned_or_404, staff_required

HOOK_KINDS = ("sms/inbound", "sms/delivery", "sms/optout", "ussd")


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _role(request: HttpRequest) -> str:
    return str(request.staff.role)  # type: ignore[attr-defined]


def _can_edit(request: HttpRequest) -> bool:
    staff = request.staff  # type: ignore[attr-defined]
    return staff is not None and role_at_least(staff.role, Role.MANAGER)


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/shell/forbidden.html",
        {"reason": _("This page needs the %(role)s role.") % {"role": Role.MANAGER.label}},
        status=403,
    )


# ---------------------------------------------------------------------------------------------
# Overview


@staff_required()
def messages_home(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    summary = outbox_summary(business.pk)
    sending = _sending_state(business)
    return render(
        request,
        "web/messages/home.html",
        {
            "campaigns": screens.campaigns_overview(business),
            "automations": screens.automations_overview(business),
            "templates": screens.templates_overview(business),
            "outbox": [
                (status.label, summary[status.value])
                for status in MessageStatus
                if summary.get(status.value)
            ],
            "can_edit": _can_edit(request),
            "recorded_sms": latest_sms(business.pk) if sending["record_only"] else [],
            "chat_messages": screens.latest_chat_messages(business.pk)
            if messengers_on(messaging_settings(business))
            else [],
            **sending,
        },
    )


def _sending_state(business: Business) -> dict[str, Any]:
    """What the sending screens say plainly: no worker running, SMS only recorded, and the
    chat apps only recorded."""
    row = messaging_settings(business)
    return {
        "worker_running": worker_running(),
        "record_only": row.sms_provider == SmsProvider.OUTBOX,
        "chats_recorded": ", ".join(
            str(SendChannel(app).label)
            for app in MESSENGERS
            if getattr(row, f"{app}_mode") == MessengerMode.OUTBOX
        ),
    }


# ---------------------------------------------------------------------------------------------
# Templates


def _counters(
    business: Business, variants: list[dict[str, Any]], purpose: str, whatsapp_name: str
) -> dict[str, Any]:
    counters = {}
    for i, variant in enumerate(variants):
        for code, text in (variant.get("texts") or {}).items():
            counters[f"v{i}-{code}-body"] = screens.sms_counter(
                business=business,
                text=str(text.get("body", "")),
                language=code,
                purpose=purpose,
                whatsapp_name=whatsapp_name,
            )
    return counters


def _uses_whatsapp(business: Business) -> bool:
    return SendChannel.WHATSAPP in messengers_on(messaging_settings(business))


def _template_page(
    request: HttpRequest,
    form: TemplateForm,
    variants: list[dict[str, Any]],
    template: Template | None,
    boxes: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    business = _business(request)
    channel = template.channel if template else (form["channel"].value() or SendChannel.SMS)
    purpose = str(form["purpose"].value() or "marketing")
    whatsapp_name = ""
    if "whatsapp_name" in form.fields:
        whatsapp_name = str(form["whatsapp_name"].value() or "")
    return render(
        request,
        "web/messages/template_edit.html",
        {
            "form": form,
            "template": template,
            "channel": channel,
            "variants": variant_rows(
                variants,
                screens.languages_for(business),
                boxes,
                _counters(business, variants, purpose, whatsapp_name),
            ),
            "variant_count": len(variants),
            "can_add_variant": len(variants) < 6,
            "placeholders": PLACEHOLDERS,
            "can_edit": _can_edit(request),
            "chat_apps": _apps_on(business),
        },
        status=status,
    )


def _template_submit(request: HttpRequest, template: Template | None) -> HttpResponse:
    business = _business(request)
    form = TemplateForm(request.POST, template=template, whatsapp=_uses_whatsapp(business))
    variants = variants_from_data(request.POST)
    if "add_variant" in request.POST:
        variants.append({"label": chr(ord("A") + len(variants)), "weight": 1, "texts": {}})
        return _template_page(request, form, variants[:6], template)
    if not form.is_valid():
        return _template_page(request, form, variants, template)
    saved, indexes = variants_to_save(variants)
    channel = template.channel if template else form.cleaned_data["channel"]
    try:
        template = template_save(
            business=business,
            name=form.cleaned_data["name"],
            channel=channel,
            purpose=form.cleaned_data["purpose"],
            variants=saved,
            template=template,
            whatsapp_name=form.approved_name() if channel == SendChannel.SMS else None,
        )
    except DomainError as error:
        general, boxes = variant_errors(error.details.get("fields", {}), indexes)
        if error.code == "template_exists":
            form.add_error("name", str(error.message))
        else:
            for field, problems in general.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
            if boxes or not general:  # a line on top: the problems may be further down
                form.add_error(None, str(error.message))
        return _template_page(request, form, variants, template, boxes)
    messages.success(request, _("Template saved."))
    return redirect("web:template_edit", template_id=template.pk)


@staff_required()
def template_new(request: HttpRequest) -> HttpResponse:
    if not _can_edit(request):
        return _forbidden(request)
    if request.method == "POST":
        return _template_submit(request, None)
    form = TemplateForm(
        initial={"channel": SendChannel.SMS, "purpose": "marketing"},
        whatsapp=_uses_whatsapp(_business(request)),
    )
    return _template_page(request, form, variants_from_template(None), None)


@staff_required()
def template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    template = owned_or_404(Template, request, pk=template_id)
    if request.method == "POST":
        if not _can_edit(request):
            return _forbidden(request)
        return _template_submit(request, template)
    form = TemplateForm(
        initial={
            "name": template.name,
            "channel": template.channel,
            "purpose": template.purpose,
            "whatsapp_name": template.whatsapp_name,
        },
        template=template,
        whatsapp=_uses_whatsapp(_business(request)),
    )
    return _template_page(request, form, variants_from_template(template), template)


@staff_required()
def sms_count(request: HttpRequest) -> HttpResponse:
    """The editor's counter for one text box: `text` and `language`, or a box's own field
    (v0-sw-body=…) as htmx sends it; `purpose` adds the opt-out line of marketing SMS, and
    `whatsapp_name` (an approved template) sets WhatsApp's limit."""
    params = request.GET if request.method == "GET" else request.POST
    text, language = params.get("text", ""), params.get("language", "")
    for key in params:
        match = BODY_FIELD.match(key)
        if match:
            text, language = params.get(key, ""), match.group(2)
            break
    counter = screens.sms_counter(
        business=_business(request),
        text=text,
        language=language,
        purpose=params.get("purpose", "marketing"),
        whatsapp_name=params.get("whatsapp_name", ""),
    )
    return render(request, "web/messages/_sms_count.html", {"counter": counter})


@require_POST
@staff_required()
def template_preview(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    rows = screens.template_preview(
        business=business,
        channel=request.POST.get("channel", "")
        or request.POST.get("template_channel", SendChannel.SMS),
        purpose=request.POST.get("purpose", "marketing"),
        variants=variants_from_data(request.POST),
    )
    return render(
        request,
        "web/messages/_template_preview.html",
        {"rows": rows, "currency": business.currency},
    )


# ---------------------------------------------------------------------------------------------
# Campaigns


def _skip_label(reason: str) -> str:
    return str(SkipReason(reason).label) if reason in SkipReason.values else reason


def _apps_on(business: Business) -> tuple[str, ...]:
    return messengers_on(messaging_settings(business))


@staff_required(Role.MANAGER)
def campaign_new(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    form = CampaignForm(request.POST or None, business=business, apps_on=_apps_on(business))
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_save(business=business, actor=request.user, **form.values())
        except DomainError as error:
            apply_to_form(form, error)
        else:
            messages.success(request, _("Draft saved. Check the reach and cost, then send."))
            return redirect("web:campaign_detail", campaign_id=campaign.pk)
    return render(request, "web/messages/campaign_new.html", {"form": form})


def _campaign_page(
    request: HttpRequest,
    campaign: Campaign,
    form: CampaignForm | None = None,
    launch_form: LaunchForm | None = None,
    status: int = 200,
) -> HttpResponse:
    business = _business(request)
    context: dict[str, Any] = {
        "campaign": campaign,
        "can_edit": _can_edit(request),
        "is_draft": campaign.status == CampaignStatus.DRAFT,
    }
    if campaign.status == CampaignStatus.DRAFT:
        context["form"] = form or CampaignForm(
            initial=CampaignForm.initial_for(campaign),
            business=business,
            apps_on=_apps_on(business),
            keep_channel=campaign.channel,
        )
        context["launch_form"] = launch_form or LaunchForm(business=business)
    else:
        sending = latest_job(
            business=business, kind="campaign.send", params={"campaign_id": campaign.pk}
        )
        if sending is not None and sending.status != JobStatus.DONE:
            context["sending"] = status_context(sending)  # progress, or why it failed
        results = campaign_results(campaign)
        counts = dict(results.get("counts") or {})
        context["results"] = results
        context["counts"] = {
            "audience": counts.pop("audience", None),
            "queued": counts.pop("queued", 0),
            "holdout": counts.pop("holdout", 0),
            "skipped": [(_skip_label(k), v) for k, v in counts.items()],
        }
    return render(request, "web/messages/campaign_detail.html", context, status=status)


@staff_required()
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = owned_or_404(Campaign, request, pk=campaign_id)
    if request.method == "POST":
        if not _can_edit(request):
            return _forbidden(request)
        form = CampaignForm(
            request.POST,
            business=_business(request),
            apps_on=_apps_on(_business(request)),
            keep_channel=campaign.channel,
        )
        if form.is_valid():
            try:
                campaign_save(business=_business(request), campaign=campaign, **form.values())
            except DomainError as error:
                if campaign.status != CampaignStatus.DRAFT:  # launched meanwhile: no form shown
                    messages.error(request, str(error.message))
                    return redirect("web:campaign_detail", campaign_id=campaign.pk)
                apply_to_form(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("web:campaign_detail", campaign_id=campaign.pk)
        campaign.refresh_from_db()
        return _campaign_page(request, campaign, form=form)
    return _campaign_page(request, campaign)


def _preview_job(request: HttpRequest, campaign: Campaign) -> BackgroundJob:
    """The preview job the partial asks about (?job=…), or a new one counting now."""
    job_id = request.GET.get("job", "")
    if job_id:
        try:
            job = job_get(business=_business(request), job_id=int(job_id), role=_role(request))
        except (NotFound, ValueError):
            raise Http404 from None
        if job.kind != "campaign.preview" or job.params.get("campaign_id") != campaign.pk:
            raise Http404
        return job
    running = latest_job(
        business=_business(request),
        kind="campaign.preview",
        params={"campaign_id": campaign.pk},
        since=timezone.now() - dt.timedelta(minutes=10),
    )
    if running is not None and not running.finished:
        return running  # still counting: no second count of the same audience
    return job_start(
        business=_business(request),
        kind="campaign.preview",
        actor=request.user,  # type: ignore[arg-type]
        params={"campaign_id": campaign.pk},
        subject=campaign.name,
    )


@staff_required()
def campaign_preview_part(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Reach and cost: counted by a background job (the audience can be large); the partial
    polls the job until it is done, then shows its result."""
    campaign = owned_or_404(Campaign, request, pk=campaign_id)
    job = _preview_job(request, campaign)
    if job.status != JobStatus.DONE:
        return render(
            request,
            "web/messages/_campaign_preview_job.html",
            {"campaign": campaign, **status_context(job)},
        )
    preview = dict(job.result_data)
    preview["skipped_rows"] = [(_skip_label(k), v) for k, v in preview["skipped"].items()]
    return render(
        request,
        "web/messages/_campaign_preview.html",
        {"preview": preview, "campaign": campaign, "counted_at": job.finished_at},
    )


@require_POST
@staff_required(Role.MANAGER)
def campaign_send(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = owned_or_404(Campaign, request, pk=campaign_id)
    form = LaunchForm(request.POST, business=_business(request))
    if not form.is_valid():
        return _campaign_page(request, campaign, launch_form=form)
    send_now = form.cleaned_data["at_utc"] is None
    if send_now:  # "Send now": asked on a page, not a JS dialog
        asking = confirm_first(
            request,
            question=_("Send “%(name)s” now?") % {"name": campaign.name},
            consequence=_(
                "Its messages go to the outbox at once; sent messages cannot be called back."
            ),
            yes=_("Yes, send now"),
            cancel_url=reverse("web:campaign_detail", args=[campaign.pk]),
            danger=False,
        )
        if asking is not None:
            return asking
    try:
        # sending now: marked sending here, its messages written by a background job
        campaign = campaign_launch(
            campaign=campaign, at=form.cleaned_data["at_utc"], enqueue=not send_now
        )
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("web:campaign_detail", campaign_id=campaign.pk)
    if campaign.status == CampaignStatus.SCHEDULED:
        messages.success(request, _("Campaign scheduled."))
    elif campaign.status == CampaignStatus.SENDING:
        job_start(
            business=_business(request),
            kind="campaign.send",
            actor=request.user,  # type: ignore[arg-type]
            params={"campaign_id": campaign.pk},
            subject=campaign.name,
        )
        campaign.refresh_from_db()
        if campaign.status == CampaignStatus.SENT:
            messages.success(request, _("Campaign sent to the outbox."))
        else:
            messages.success(request, _("The campaign's messages are being written to the outbox."))
    else:
        messages.success(request, _("Campaign sent to the outbox."))
    return redirect("web:campaign_detail", campaign_id=campaign.pk)


@require_POST
@staff_required(Role.MANAGER)
def campaign_stop(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = owned_or_404(Campaign, request, pk=campaign_id)
    asking = confirm_first(
        request,
        question=_("Cancel “%(name)s”?") % {"name": campaign.name},
        consequence=_("The messages not yet sent will not be sent; those sent stay sent."),
        yes=_("Yes, cancel the campaign"),
        cancel_url=reverse("web:campaign_detail", args=[campaign.pk]),
    )
    if asking is not None:
        return asking
    try:
        campaign_cancel(campaign=campaign)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Campaign cancelled."))
    return redirect("web:campaign_detail", campaign_id=campaign.pk)


# ---------------------------------------------------------------------------------------------
# Automations


def _kind(kind: str) -> AutomationKind:
    if kind not in AutomationKind.values:
        raise Http404
    return AutomationKind(kind)


@staff_required()
def automation_edit(request: HttpRequest, kind: str) -> HttpResponse:
    business = _business(request)
    automation_kind = _kind(kind)
    automation = Automation.objects.filter(business=business, kind=kind).first()
    channels: dict[str, Any] = {
        "apps_on": _apps_on(business),
        "keep_channel": automation.channel if automation else "",
    }
    form = AutomationForm(
        initial=AutomationForm.initial_for(automation), business=business, kind=kind, **channels
    )
    if request.method == "POST":
        if not _can_edit(request):
            return _forbidden(request)
        form = AutomationForm(request.POST, business=business, kind=kind, **channels)
        if form.is_valid():
            try:
                automation_save(business=business, kind=kind, **form.values())
            except DomainError as error:
                apply_to_form(form, error)
            else:
                messages.success(request, _("Automation saved."))
                return redirect("web:automation_edit", kind=kind)
    return render(
        request,
        "web/messages/automation_edit.html",
        {
            "kind": automation_kind,
            "automation": automation,
            "form": form,
            "results": automation_results(automation) if automation else None,
            "can_edit": _can_edit(request),
        },
    )


@require_POST
@staff_required(Role.MANAGER)
def automation_toggle(request: HttpRequest, kind: str) -> HttpResponse:
    business = _business(request)
    _kind(kind)
    automation = Automation.objects.filter(business=business, kind=kind).first()
    if automation is None:
        return redirect("web:automation_edit", kind=kind)
    try:
        automation_save(business=business, kind=kind, is_active=request.POST.get("active") == "1")
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("web:messages")


# ---------------------------------------------------------------------------------------------
# Settings


def _masked_hook(address: str, row: Any) -> str:
    """A callback address as a manager sees it: the token and the secret cut short."""
    for secret in (row.hook_secret, row.hook_token):
        address = address.replace(secret, secret[:4] + "…")
    return address


@require_POST
@staff_required(Role.OWNER)
def hooks_rotate(request: HttpRequest) -> HttpResponse:
    """New callback addresses and secret (after a leak); the old ones stop at once."""
    asking = confirm_first(
        request,
        question=_("Give the SMS provider new addresses?"),
        consequence=_(
            "The old addresses stop working at once: paste the new ones into the provider's "
            "dashboard straight away, or replies and delivery reports are lost until you do."
        ),
        yes=_("Yes, new addresses"),
        cancel_url=reverse("web:messaging_settings"),
    )
    if asking is not None:
        return asking
    row = messaging_settings(_business(request))
    hook_rotate(row)
    audit_record(
        business=row.business,
        action="messaging.hooks_rotate",
        object_type="messaging_settings",
        object_id=row.pk,
        actor=request.user,  # type: ignore[arg-type]
    )
    messages.success(request, _("New addresses made: paste them into the provider's dashboard."))
    return redirect("web:messaging_settings")


@staff_required(Role.MANAGER)
def messaging_settings_page(request: HttpRequest) -> HttpResponse:
    """A manager changes quiet hours, caps and prices; the provider, its keys, the sender id
    and the link domains are the owner's (shown read-only to a manager)."""
    business = _business(request)
    is_owner = role_at_least(request.staff.role, Role.OWNER)  # type: ignore[attr-defined]
    row = messaging_settings(business)
    initial = MessagingSettingsForm.initial_for(row, business)
    form = MessagingSettingsForm(initial=initial, business=business, owner=is_owner)
    if request.method == "POST":
        form = MessagingSettingsForm(
            request.POST, initial=initial, business=business, owner=is_owner
        )
        if form.is_valid():
            try:
                messaging_settings_update(business=business, by_owner=is_owner, **form.changes())
            except DomainError as error:
                form.apply_error(error)
            else:
                messages.success(request, _("Settings saved."))
                return redirect("web:messaging_settings")
        row = messaging_settings(business)
    hooks = [
        (kind, hook_url(row, kind) if is_owner else _masked_hook(hook_url(row, kind), row))
        for kind in HOOK_KINDS
    ]
    return render(
        request,
        "web/messages/settings.html",
        {
            "form": form,
            "saved_secrets": {key: masked(getattr(row, key)) for key in SECRETS},
            "hooks": hooks,
            "hooks_in_full": is_owner,
            "chat_apps": _chat_apps(form, row, is_owner),
            "chat_fields": form.chat_field_names(),
            "price_fields": PRICES,
            **_sending_state(business),
        },
    )


def _chat_apps(
    form: MessagingSettingsForm, row: MessagingSettings, in_full: bool
) -> list[dict[str, Any]]:
    """Each chat app's boxes, the address it calls back and, for WhatsApp, the verify token
    Meta asks for when subscribing: in full for the owner, cut short for a manager."""
    callbacks = screens.chat_callbacks(row)
    apps = form.chat_apps()
    for app in apps:
        url = callbacks[app["channel"]]
        app["callback"] = url if in_full else _masked_hook(url, row)
        if app["channel"] == SendChannel.WHATSAPP:
            token = row.whatsapp_verify_token
            app["verify_token"] = token if in_full else token[:4] + "…"
        saved_token = {
            SendChannel.TELEGRAM: row.telegram_bot_token,
            SendChannel.VIBER: row.viber_auth_token,
        }.get(app["channel"], "")
        app["can_connect"] = in_full and bool(saved_token)
    return apps


@require_POST
@staff_required(Role.OWNER)
def chat_connect(request: HttpRequest, app: str) -> HttpResponse:
    """Tell Telegram or Viber where the bot's messages go (with the saved token); WhatsApp's
    address is pasted into Meta's dashboard instead."""
    connect = {SendChannel.TELEGRAM: telegram_set_webhook, SendChannel.VIBER: viber_set_webhook}
    if app not in connect:
        raise Http404
    row = messaging_settings(_business(request))
    try:
        connect[SendChannel(app)](row)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        audit_record(
            business=row.business,
            action=f"messaging.{app}_connect",
            object_type="messaging_settings",
            object_id=row.pk,
            actor=request.user,  # type: ignore[arg-type]
        )
        messages.success(
            request,
            _("%(app)s now sends the bot's messages to Wateja.") % {"app": SendChannel(app).label},
        )
    return redirect(reverse("web:messaging_settings") + "#chat-apps")
