"""`wateja serve`'s own log (gunicorn's access and error lines, which Django's LOGGING does
not reach) never holds a link token or a phone number: a real server in a subprocess is
asked for a provider callback, a customer's card page, a search for a phone number and a
stylesheet the card page refers to, and its output is read."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request

from tests.helpers import ROOT, free_port, wait_for_http, wateja, wateja_env

PREPARE = (
    "from wateja.customers.links import card_page_token\n"
    "from wateja.customers.services import customer_create\n"
    "from wateja.messaging.config import messaging_settings\n"
    "from wateja.tenants.models import Business\n"
    "business = Business.objects.get()\n"
    "customer = customer_create(business=business, name='Amina', phone='0712345678')\n"
    "print(card_page_token(customer.cards.get()), messaging_settings(business).hook_token)\n"
)


def _ask(url: str, data: bytes | None = None, **headers: str) -> int:
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_servers_log_lines_hold_no_token_and_no_phone(tmp_path):
    env = wateja_env(tmp_path)
    made = wateja(
        "init", "--business", "Duka", "--owner", "mama", "--password", "siri-kubwa-123",
        "--no-input", env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    prepared = wateja("manage", "shell", "-c", PREPARE, env=env)
    assert prepared.returncode == 0, prepared.stderr
    card_token, hook_token = prepared.stdout.strip().splitlines()[-1].split()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "wateja.cli", "serve", "--port", str(port), "--workers", "1"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for_http(f"{url}/api/v1/health")
            assert _ask(f"{url}/my/{card_token}/") == 200
            hook = f"{url}/hooks/{hook_token}/sms/delivery/"
            _ask(hook, b"id=1&status=Success&phoneNumber=%2B254712345678")
            _ask(f"{url}/customers/?q=%2B254712345678")  # a search typed by a cashier
            _ask(f"{url}/customers/?q=0712+345+678")
            _ask(f"{url}/join/duka/?phone=254712345678")
            _ask(f"{url}/static/wateja/wateja.css", Referer=f"{url}/my/{card_token}/")
            _ask(f"{url}/hooks/{hook_token}/c2b/secret-0123456789/confirm/", b"{}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log_path.read_text()
    assert "GET /my/…/" in text and "POST /hooks/…/" in text  # the requests were logged
    assert "/customers/?q=" in text and "wateja.css" in text
    for secret in (card_token, hook_token, "secret-0123456789"):
        assert secret not in text
    for phone in ("712345678", "712+345+678", "712%20345", "712%2520345"):
        assert phone not in text
