"""A customer's messages in their data export and in their erasure (customers.privacy calls
these through customers.hooks).

The person's messages are those to any of their records, and those written to one of their
phones or e-mails without a customer (a reply to an SMS from a number not yet known); their
inbound SMS are those matched to their records or sent from one of their numbers. Erasure
keeps what the reports count (channel, status, segments, cost, times) and takes the words,
the addresses, the provider's ids and payloads, and the feedback comments; each message gets
a new token, so a link in an old message no longer leads to them."""

from __future__ import annotations

import secrets
from typing import Any

from django.db.models import Q, QuerySet

from wateja.customers.models import Customer
from wateja.customers.privacy import Reach, customer_reach
from wateja.messaging.models import (
    Delivery,
    Feedback,
    InboundMessage,
    Message,
    MessengerContact,
    MessengerLinkCode,
    SurveyAnswer,
)


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def _messages(customer: Customer, reach: Reach, *, own_only: bool = False) -> QuerySet[Message]:
    ids = [customer.pk] if own_only else list(reach.ids)
    return Message.objects.filter(business_id=customer.business_id).filter(
        Q(customer_id__in=ids)
        | Q(customer__isnull=True, to_address__in=[*reach.addresses, *reach.phone_forms])
    )


def _inbound(customer: Customer, reach: Reach, *, own_only: bool = False) -> QuerySet[Any]:
    ids = [customer.pk] if own_only else list(reach.ids)
    return InboundMessage.objects.filter(business_id=customer.business_id).filter(
        Q(customer_id__in=ids) | Q(from_phone__in=reach.phone_forms)
    )


def _feedback(customer: Customer, messages: QuerySet[Message], ids: list[int]) -> QuerySet[Any]:
    return Feedback.objects.filter(business_id=customer.business_id).filter(
        Q(customer_id__in=ids) | Q(message__in=messages)
    )


def messages_export(customer: Customer) -> tuple[str, Any]:
    """Every message written to the person, with what happened to it."""
    reach = customer_reach(customer)
    rows = [
        {
            "id": m.pk,
            "at": _iso(m.created_at),
            "channel": m.channel,
            "purpose": m.purpose,
            "to": m.to_address,
            "subject": m.subject,
            "body": m.body,
            "status": m.status,
            "sent_at": _iso(m.sent_at),
            "delivered_at": _iso(m.delivered_at),
            "clicked_at": _iso(m.clicked_at),
            "unsubscribed_at": _iso(m.unsubscribed_at),
            "link": m.link_url,
            "error": m.last_error,
            "provider_id": m.provider_id,
            "payload": m.payload,
            "fallback_body": m.fallback_body,
        }
        for m in _messages(customer, reach).order_by("created_at", "id")
    ]
    return "messages", rows


def chats_export(customer: Customer) -> tuple[str, Any]:
    """The chats (WhatsApp, Telegram, Viber) linked to the person's card."""
    reach = customer_reach(customer)
    contacts = MessengerContact.objects.filter(
        business_id=customer.business_id, customer_id__in=list(reach.ids)
    )
    rows = [
        {
            "channel": c.channel,
            "id": c.external_id,
            "name": c.display_name,
            "linked_at": _iso(c.linked_at),
            "last_message_at": _iso(c.last_inbound_at),
            "left_at": _iso(c.unlinked_at),
        }
        for c in contacts.order_by("linked_at", "id")
    ]
    return "chats", rows


def delivery_reports_export(customer: Customer) -> tuple[str, Any]:
    """Each attempt to send the person's messages and each report the provider gave."""
    reach = customer_reach(customer)
    deliveries = Delivery.objects.filter(message__in=_messages(customer, reach))
    rows = [
        {
            "message": d.message_id,
            "at": _iso(d.at),
            "outcome": d.outcome,
            "detail": d.detail,
            "payload": d.raw,
        }
        for d in deliveries.order_by("at", "id")
    ]
    return "delivery_reports", rows


def inbound_export(customer: Customer) -> tuple[str, Any]:
    """The SMS and chat messages the person sent the business."""
    reach = customer_reach(customer)
    rows = [
        {
            "received_at": _iso(i.received_at),
            "channel": i.channel,
            "from": i.from_phone,
            "text": i.text,
            "action": i.action,
            "provider_id": i.provider_id,
        }
        for i in _inbound(customer, reach).order_by("received_at", "id")
    ]
    return "inbound_sms", rows


def feedback_export(customer: Customer) -> tuple[str, Any]:
    """The ratings and comments the person gave."""
    reach = customer_reach(customer)
    feedback = _feedback(customer, _messages(customer, reach), list(reach.ids))
    rows = [
        {"at": _iso(f.at), "rating": f.rating, "comment": f.comment}
        for f in feedback.order_by("at", "id")
    ]
    return "feedback", rows


def _survey_answers(customer: Customer, messages: QuerySet[Message], ids: list[int]) -> Any:
    return SurveyAnswer.objects.filter(business_id=customer.business_id).filter(
        Q(customer_id__in=ids) | Q(message__in=messages)
    )


def survey_answers_export(customer: Customer) -> tuple[str, Any]:
    """The person's answers to surveys, with the questions they answered."""
    reach = customer_reach(customer)
    answers = _survey_answers(customer, _messages(customer, reach), list(reach.ids))
    rows = []
    for a in answers.select_related("survey").order_by("at", "id"):
        questions = a.survey.questions
        rows.append(
            {
                "at": _iso(a.at),
                "survey": a.survey.title,
                "answers": [
                    {
                        "question": questions[int(n)]["text"] if int(n) < len(questions) else "",
                        "answer": value,
                    }
                    for n, value in sorted(a.answers.items(), key=lambda kv: int(kv[0]))
                ],
            }
        )
    return "survey_answers", rows


def messaging_erase(customer: Customer) -> None:
    """Called for the erased record and each record merged into it, before their contacts
    are taken away (inside the erasure's transaction)."""
    reach = customer_reach(customer)
    messages = _messages(customer, reach, own_only=True)
    ids = list(messages.values_list("pk", flat=True))
    Delivery.objects.filter(message_id__in=ids).update(detail="", raw={})
    _feedback(customer, Message.objects.filter(pk__in=ids), [customer.pk]).update(comment="")
    _survey_answers(customer, Message.objects.filter(pk__in=ids), [customer.pk]).update(answers={})
    _inbound(customer, reach, own_only=True).update(from_phone="", text="", provider_id="")
    Message.objects.filter(pk__in=ids).update(
        to_address="", subject="", body="", last_error="", provider_id="", link_url="",
        payload={}, fallback_body="",
    )  # fmt: skip
    MessengerContact.objects.filter(business_id=customer.business_id, customer=customer).delete()
    MessengerLinkCode.objects.filter(business_id=customer.business_id, customer=customer).delete()
    renamed = [Message(pk=pk, token=secrets.token_urlsafe(18)) for pk in ids]
    Message.objects.bulk_update(renamed, ["token"], batch_size=500)
