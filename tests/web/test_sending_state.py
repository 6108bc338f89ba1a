"""The messaging screens say plainly when nothing leaves (SMS only recorded) and when no worker
runs (nothing moves from the outbox), and stop saying it when that changes."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from wateja.messaging.config import messaging_settings
from wateja.messaging.worker import worker_heartbeat, worker_running
from wateja.tenants.roles import Role

EN = {"Accept-Language": "en"}


def test_the_screens_say_when_no_worker_runs_and_when_sms_are_only_recorded(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    page = client.get("/messages/", headers=EN).content.decode()
    assert 'data-testid="no-worker"' in page and 'data-testid="record-only"' in page
    worker_heartbeat()
    row = messaging_settings(business)
    row.sms_provider = "africastalking"
    row.save()
    page = client.get("/messages/", headers=EN).content.decode()
    assert 'data-testid="no-worker"' not in page and 'data-testid="record-only"' not in page
    settings_page = client.get("/messages/settings/", headers=EN).content.decode()
    assert 'data-testid="no-worker"' not in settings_page


def test_a_worker_silent_for_minutes_is_no_longer_running():
    worker_heartbeat(now=timezone.now() - dt.timedelta(minutes=10))
    assert not worker_running()
    worker_heartbeat()
    assert worker_running()
