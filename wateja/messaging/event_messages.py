"""The messages of events: the invitation (a campaign whose link is each guest's own answer
page), the answer to an SMS YES or NO, "a place is yours" when the waiting list moves up,
the reminder the day before, and after a tasting the request for stars per product. Every
one goes through the outbox, so consent, quiet hours and the frequency cap apply as to any
message; the events app only records, this module sends.

The wording lives in four templates per business ("Event invitation", "Event reminder",
"Event: a place is yours", "Event: how did you like it?"), made on first use in the four
languages, which the business may reword on the templates screen; {offer} holds the event
(title, time, place) and {link} the guest's answer page."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wateja.core.errors import DomainError
from wateja.customers.models import Customer
from wateja.customers.segments import segment_customers
from wateja.customers.selectors import active_customers
from wateja.events.links import rsvp_url
from wateja.events.models import Event, Registration, RegistrationSource, RegistrationStatus
from wateja.events.services import (
    invitation_latest,
    invitations_record,
    promoted_untold,
    rating_requests_due,
    registrations_mark,
    reminders_due,
    rsvp,
    upcoming_events,
    waiting_position,
)
from wateja.messaging.models import (
    Campaign,
    CampaignStatus,
    ChannelChoice,
    Purpose,
    SendChannel,
    Template,
    Variant,
)
from wateja.messaging.outbox import Plan, counts_as_dict, messages_queue, with_chat_apps
from wateja.tenants.models import Business

LANGUAGES = ("en", "sw", "hy", "ru")

# name of the template (in the business's language) and its wording, per kind
WORDING: dict[str, tuple[str, str]] = {
    "invite": (
        gettext_noop("Event invitation"),
        gettext_noop(
            "{name}, {shop} invites you: {offer}. Reply YES or NO, or answer here: {link}"
        ),
    ),
    "reminder": (
        gettext_noop("Event reminder"),
        gettext_noop(
            "{name}, see you soon at {offer}. Cannot come? Tell us here and give your place "
            "to someone else: {link}"
        ),
    ),
    "rate": (
        gettext_noop("Event: how did you like it?"),
        gettext_noop(
            "{name}, thank you for coming to {offer}! Give each product its stars here: {link}"
        ),
    ),
    "moved_up": (
        gettext_noop("Event: a place is yours"),
        gettext_noop(
            "{name}, good news: a place is free for you at {offer}. See you there! Cannot "
            "come? Tell us here: {link}"
        ),
    ),
}


def event_line(event: Event) -> str:
    """The event in one line for a message: title, local date and time, place."""
    local = event.starts_at.astimezone(zoneinfo.ZoneInfo(event.business.timezone))
    parts = [event.title, local.strftime("%d.%m.%Y %H:%M")]
    if event.place:
        parts.append(event.place)
    return ", ".join(parts)


def event_template(business: Business, kind: str) -> Template:
    """The business's template for this kind of event message, made on first use with the
    wording in every language."""
    name_id, body_id = WORDING[kind]
    with translation.override(business.default_language):
        name = _(name_id)
    found: Template | None = Template.objects.filter(business=business, name=name).first()
    if found is not None:
        return found
    texts: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts[language] = {"body": _(body_id)}
    purpose = Purpose.MARKETING if kind == "invite" else Purpose.SERVICE
    template = Template.objects.create(
        business=business, name=name, channel=SendChannel.SMS, purpose=purpose
    )
    Variant.objects.create(business=business, template=template, label="A", texts=texts)
    return template


def _plan(
    event: Event,
    kind: str,
    customer: Customer,
    campaign: Campaign | None = None,
) -> Plan:
    business = event.business
    template = event_template(business, kind)
    return Plan(
        business=business,
        templates=with_chat_apps(business, {SendChannel.SMS: template}, ChannelChoice.PREFERRED),
        channel_choice=ChannelChoice.PREFERRED,
        purpose=template.purpose,
        salt=f"event:{event.pk}:{kind}",
        base_values={"offer": event_line(event)},
        link_url=rsvp_url(event, customer),
        campaign=campaign,
    )


def event_audience(event: Event) -> Any:
    """Who an invitation goes to: the event's segment, else every customer; not those who
    are on the list already."""
    business = event.business
    if event.segment_id and event.segment is not None:
        customers = segment_customers(business, event.segment.filters)
    else:
        customers = active_customers(business)
    answered = Registration.objects.filter(event=event).exclude(status=RegistrationStatus.INVITED)
    return customers.exclude(pk__in=answered.values("customer_id")).order_by("pk")


@transaction.atomic
def event_invite(
    *, event: Event, actor: User | None = None, now: dt.datetime | None = None
) -> Campaign:
    """Send the invitation to the event's audience as a campaign (shown with the others,
    with its counts): each message carries the guest's own answer link, and goes only where
    marketing consent, quiet hours and the frequency cap allow. Sending again reaches only
    those not invited yet."""
    now = now or timezone.now()
    business = event.business
    template = event_template(business, "invite")
    with translation.override(business.default_language):
        name = _("Invitation: %(event)s") % {"event": event.title}
    campaign = Campaign.objects.create(
        business=business,
        name=name[:150],
        channel=ChannelChoice.PREFERRED,
        sms_template=template,
        offer=event_line(event)[:200],
        status=CampaignStatus.SENDING,
        scheduled_at=now,
        started_at=now,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    counts: Counter[str] = Counter()
    invited: list[int] = []
    audience = 0
    for customer in event_audience(event).iterator(chunk_size=500):
        audience += 1
        outcome = messages_queue(
            _plan(event, "invite", customer, campaign),
            [customer],
            dedupe=lambda c, channel: f"ev{event.pk}:{c.pk}:{channel}",
            now=now,
        )
        counts.update(outcome)
        if outcome["queued"] or outcome["holdout"]:
            invited.append(customer.pk)
    invitations_record(event=event, customer_ids=invited, now=now)
    campaign.counts = {"audience": audience, **counts_as_dict(counts)}
    campaign.status = CampaignStatus.SENT
    campaign.finished_at = timezone.now()
    campaign.save(update_fields=["counts", "status", "finished_at"])
    return campaign


def _tell(registrations: list[Registration], kind: str, field: str, now: dt.datetime) -> int:
    sent = 0
    for registration in registrations:
        prefix = f"ev{kind}{registration.event_id}"

        def dedupe(customer: Customer, channel: str, prefix: str = prefix) -> str:
            return f"{prefix}:{customer.pk}:{channel}"

        outcome = messages_queue(
            _plan(registration.event, kind, registration.customer),
            [registration.customer],
            dedupe=dedupe,
            now=now,
        )
        sent += outcome["queued"]
    registrations_mark([r.pk for r in registrations], field=field, now=now)
    return sent


def event_messages_run(*, business: Business, now: dt.datetime | None = None) -> Counter[str]:
    """Tell those moved up from a waiting list, remind those going to an event that starts
    within a day, and ask those who came to a tasting for their stars (once each). Runs with
    the automations every minute, and at once after a place is given back."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    with transaction.atomic():
        moved = list(promoted_untold(business).select_for_update(of=("self",)))
        counts["moved_up"] = _tell(moved, "moved_up", "promoted_told_at", now)
    with transaction.atomic():
        due = list(reminders_due(business, now).select_for_update(of=("self",)))
        counts["reminded"] = _tell(due, "reminder", "reminded_at", now)
    with transaction.atomic():
        came = list(rating_requests_due(business, now).select_for_update(of=("self",)))
        counts["asked_to_rate"] = _tell(came, "rate", "rating_asked_at", now)
    return +counts


def events_messages_run(*, now: dt.datetime | None = None) -> Counter[str]:
    """event_messages_run for every business that has an event on."""
    now = now or timezone.now()
    total: Counter[str] = Counter()
    ids = (
        Registration.objects.filter(
            status=RegistrationStatus.GOING,
            event__starts_at__gt=now - dt.timedelta(days=2),
        )
        .values_list("business_id", flat=True)
        .distinct()
        .order_by("business_id")
    )
    for business in Business.objects.filter(pk__in=list(ids)).order_by("pk"):
        total.update(event_messages_run(business=business, now=now))
    return total


def event_sms_answer(
    business: Business, customer: Customer, going: bool, now: dt.datetime, *, channel: str
) -> str:
    """A YES or NO texted back: the answer to the customer's latest invitation, and what to
    reply (in the active language). "" when no invitation waits for an answer."""
    registration = invitation_latest(customer, now)
    if registration is None:
        return _("%(shop)s: there is no invitation waiting for your answer.") % {
            "shop": business.name
        }
    source = RegistrationSource.SMS if channel == SendChannel.SMS else RegistrationSource.LINK
    try:
        registration = rsvp(
            event=registration.event, customer=customer, going=going, source=source, now=now
        )
    except DomainError as problem:
        return f"{business.name}: {problem.message}"
    event = registration.event
    if registration.status == RegistrationStatus.GOING:
        return _("%(shop)s: your place at %(event)s is kept. See you there!") % {
            "shop": business.name,
            "event": event_line(event),
        }
    if registration.status == RegistrationStatus.WAITING:
        return _(
            "%(shop)s: %(event)s is full; you are number %(position)s on the waiting list. "
            "We will tell you when a place is free."
        ) % {
            "shop": business.name,
            "event": event.title,
            "position": waiting_position(registration),
        }
    return _("%(shop)s: thank you for your answer. Maybe next time!") % {"shop": business.name}


def upcoming_text(business: Business, now: dt.datetime, limit: int = 3) -> str:
    """The next open events in a few lines (the USSD menu's "Upcoming events")."""
    events = list(upcoming_events(business, now).select_related("business")[:limit])
    if not events:
        return _("No events planned right now.")
    return "\n".join(event_line(event) for event in events)
