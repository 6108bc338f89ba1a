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


def _deploy_check(tmp_path, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WATEJA_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="wateja.settings", WATEJA_DATA_DIR=str(tmp_path),
        WATEJA_HTTPS="1", WATEJA_PUBLIC_URL="https://duka.example",
    )  # fmt: skip
    env.update(extra)
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip


def test_django_deploy_check_is_clean_with_a_real_secret_key(tmp_path):
    import secrets

    clean = _deploy_check(tmp_path, WATEJA_SECRET_KEY=secrets.token_urlsafe(50))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "no issues" in clean.stdout
    # the check is real: a weak key or no HTTPS fails it
    weak = _deploy_check(tmp_path, WATEJA_SECRET_KEY="short")
    assert weak.returncode != 0 and "security.W009" in weak.stdout + weak.stderr
    plain = _deploy_check(tmp_path, WATEJA_SECRET_KEY=secrets.token_urlsafe(50), WATEJA_HTTPS="")
    assert plain.returncode != 0 and "security.W004" in plain.stdout + plain.stderr
