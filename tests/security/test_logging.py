"""Every log line of the running app goes through the redacting filter (wateja.core.redact):
a hook token or a customer's phone number logged by any code never reaches the log."""

from __future__ import annotations

from django.conf import settings


def test_every_handler_redacts():
    handlers = settings.LOGGING["handlers"]
    assert handlers and all("redact" in h.get("filters", []) for h in handlers.values())


def test_a_line_logged_by_the_app_comes_out_without_token_or_phone(capfd):
    import logging
    import logging.config

    logging.config.dictConfig(settings.LOGGING)
    logging.getLogger("wateja.test").warning(
        "inbound from %s via /hooks/%s/sms/inbound/", "+254712345678", "SeCrEtToKeN123"
    )
    written = capfd.readouterr().err
    assert "SeCrEtToKeN123" not in written and "712345678" not in written
    assert "/hooks/…/sms/inbound/" in written and "+254…78" in written
    logging.getLogger("wateja.test").handlers.clear()
