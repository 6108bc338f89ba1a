"""Content-Security-Policy: every page (staff screens, the customer's public pages, Django
admin) says that scripts, styles and images come only from our own static files, with no
inline script and no eval; and no template carries an inline script, handler or style that
such a policy would block (the Chromium test proves the pages really run under it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from wateja.customers.links import card_page_token
from wateja.customers.services import customer_create
from wateja.tenants.roles import Role

WATEJA = Path(__file__).resolve().parents[2] / "wateja"


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _assert_strict(response) -> None:
    assert response.status_code == 200, response.status_code
    policy = _policy(response)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]


def test_staff_pages_carry_the_strict_policy(business, staff_client):
    owner = staff_client(business, Role.OWNER)
    for path in (
        "/",
        "/customers/",
        "/checkout/",
        "/rewards/",
        "/messages/",
        "/messages/settings/",
    ):
        _assert_strict(owner.get(path))
    _assert_strict(Client().get("/login/"))


def test_the_customers_public_pages_carry_it(business):
    customer = customer_create(business=business, name="Achieng", phone="0722111222")
    card = customer.cards.get()
    _assert_strict(Client().get(f"/join/{business.slug}/"))
    _assert_strict(Client().get(f"/my/{card_page_token(card)}/"))


def test_django_admin_carries_it(business):
    get_user_model().objects.create_superuser("root", "root@example.com", "pw-admin-123")
    client = Client()
    _assert_strict(client.get("/admin/login/"))
    assert client.login(username="root", password="pw-admin-123")
    _assert_strict(client.get("/admin/"))
    _assert_strict(client.get("/admin/auth/user/"))


def test_htmx_is_told_not_to_inject_styles_nor_eval(business, staff_client):
    page = staff_client(business, Role.OWNER).get("/").content.decode()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page)
    assert meta is not None
    assert '"includeIndicatorStyles": false' in meta.group(1)
    assert '"allowEval": false' in meta.group(1)
    # the indicator's rule lives in our stylesheet instead
    css = (WATEJA / "web/static/wateja/wateja.css").read_text()
    assert ".htmx-request .htmx-indicator" in css


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style[\s>]", re.I), "an inline <style>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on… handler attribute"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    (re.compile(r"\shx-on[:-]", re.I), "an hx-on handler"),
    (re.compile(r"""\shx-(vals|headers|vars)\s*=\s*['"]\s*(js|javascript):""", re.I),
     "an hx- value evaluated as JavaScript"),
]  # fmt: skip
JSON_SCRIPT = re.compile(r"<script[^>]*type=\"application/(ld\+)?json\"", re.I)


@pytest.mark.parametrize("template", sorted(WATEJA.rglob("templates/**/*.html")), ids=str)
def test_no_template_carries_inline_script_or_style(template):
    text = JSON_SCRIPT.sub("", template.read_text())
    found = [what for pattern, what in INLINE if pattern.search(text)]
    assert not found, f"{template.relative_to(WATEJA)}: {', '.join(found)}"
