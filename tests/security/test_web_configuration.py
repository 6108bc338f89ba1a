"""Web configuration as a stranger meets it: personal pages are never cached, an unknown Host
is refused once the shop has a public address, and behind HTTPS the deploy checks pass."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import ROOT
from wateja.tenants.roles import Role


def test_pages_and_api_answers_are_not_stored(business, staff_client, client):
    staff = staff_client(business, Role.OWNER)
    for response in (staff.get("/"), staff.get("/customers/"), client.get("/login/")):
        assert {"private", "no-store"} <= set(response["Cache-Control"].replace(",", " ").split())


def _settings_in_a_fresh_process(**env: str) -> str:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='wateja.settings'; "
        "from django.conf import settings; "
        "print(settings.ALLOWED_HOSTS, getattr(settings, 'SECURE_HSTS_SECONDS', 0), "
        "getattr(settings, 'SECURE_SSL_REDIRECT', False))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WATEJA_")}
    result = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, cwd=ROOT, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    return result.stdout


def test_allowed_hosts_follow_the_public_address(tmp_path):
    data = {"WATEJA_DATA_DIR": str(tmp_path)}
    assert "['*']" in _settings_in_a_fresh_process(**data)
    served = _settings_in_a_fresh_process(**data, WATEJA_PUBLIC_URL="https://duka.example")
    assert "'duka.example'" in served and "'*'" not in served
    given = _settings_in_a_fresh_process(**data, WATEJA_ALLOWED_HOSTS="a.example,b.example")
    assert "['a.example', 'b.example']" in given


def test_behind_https_the_deploy_checks_pass(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WATEJA_", "DJANGO_"))}
    env.update(WATEJA_DATA_DIR=str(tmp_path), WATEJA_HTTPS="1",
               WATEJA_PUBLIC_URL="https://duka.example")  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "wateja.cli", "manage", "check", "--deploy", "--fail-level",
         "WARNING"],
        env=env, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    hardened = _settings_in_a_fresh_process(WATEJA_DATA_DIR=str(tmp_path), WATEJA_HTTPS="1")
    assert "31536000 True" in hardened  # HSTS for a year, and http redirected to https
