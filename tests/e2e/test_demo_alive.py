"""The demo is alive: `wateja demo` runs a worker beside its server, so a receipt SMS sent
after a sale moves from queued to sent in the record-only outbox without anyone starting
anything, and the messaging screen says SMS are only recorded and no longer that no worker
runs."""

from __future__ import annotations

import random
import time

import pytest

from tests.e2e.session import api, demo_page

pytestmark = pytest.mark.e2e


def test_a_receipt_sms_moves_from_queued_to_sent_by_itself(demo_server, browser):
    phone = f"0796{random.randrange(100000, 999999)}"
    customer = api(demo_server, "POST", "/customers", {"name": "Neema Alive", "phone": phone})
    sale = {"customer": {"id": customer["id"]}, "currency": "KES", "total_minor": 45_000}
    api(demo_server, "POST", "/checkout/reserve", sale, key=f"alive-{phone}")
    order = api(demo_server, "POST", f"/checkout/alive-{phone}/commit")
    sent = api(demo_server, "POST", f"/orders/{order['id']}/receipt", {"channel": "sms"})
    assert sent["status"] in ("queued", "sending", "sent", "delivered")
    deadline = time.monotonic() + 120  # the worker sends at once, or at its next minute
    status = sent["status"]
    while status in ("queued", "sending") and time.monotonic() < deadline:
        time.sleep(2)
        messages = api(demo_server, "GET", f"/customers/{customer['id']}/messages")["items"]
        status = next(m["status"] for m in messages if m["id"] == sent["id"])
    assert status in ("sent", "delivered"), status

    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    page = demo_page(context, demo_server["url"], "/messages/")
    assert page.get_by_test_id("record-only").is_visible()
    assert page.get_by_test_id("no-worker").count() == 0
    context.close()
