"""Two-step sign-in as staff and an attacker meet it, through HTTP with Django's test client:
an owner must set up an authenticator app before any page opens; the code from the app (each
accepted once) or a recovery code (each once) completes the sign-in; wrong codes lock the
username like wrong passwords; the business chooses whose sign-in needs it; /admin/ and the
till's PIN switch cannot skip it; the owner (only) can reset a staff member's second step."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from wateja.tenants import two_factor
from wateja.tenants.models import AuditEvent, RecoveryCode, SignInFailure, TwoFactorDevice
from wateja.tenants.roles import Role
from wateja.tenants.services import staff_add
from wateja.tenants.staff import staff_pin_set

EN = {"Accept-Language": "en"}
PASSWORD = "pw-test-123"


@pytest.fixture
def clock():
    """A stopped clock the test moves by hand (codes change every 30 seconds)."""
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller


def _member(business, username="mama", role=Role.OWNER):
    return staff_add(business=business, username=username, role=role, password=PASSWORD)


def _login(client, username="mama", path="/login/", password=PASSWORD, **data):
    return client.post(path, {"username": username, "password": password, **data}, headers=EN)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _code(secret: str) -> str:
    return pyotp.TOTP(secret).at(timezone.now())


def _enrolled(staff) -> tuple[str, list[str]]:
    """Set up through the service: the secret and the recovery codes."""
    secret = two_factor.enrol_start(user=staff.user)
    codes = two_factor.enrol_confirm(user=staff.user, code=_code(secret))
    return secret, codes


def _secret_on(page: str) -> str:
    found = re.search(r'data-testid="enrol-secret">([A-Z2-7 ]+)<', page)
    assert found, page
    return found.group(1).replace(" ", "")


def _codes_on(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page)


def test_an_owner_without_an_app_sets_one_up_before_any_page_opens(business, clock):
    staff = _member(business)
    client = Client()
    response = _login(client)
    assert response.status_code == 302 and response["Location"] == "/login/set-up/"
    assert not _signed_in(client)
    assert client.get("/")["Location"].startswith("/login/")
    assert client.get("/customers/")["Location"].startswith("/login/")

    page = client.get("/login/set-up/", headers=EN).content.decode()
    assert '<svg class="qr-code"' in page
    assert re.search(r'data-testid="enrol-secret">([A-Z2-7]{4} ){7}[A-Z2-7]{4}<', page)
    secret = _secret_on(page)
    with connection.cursor() as cursor:  # the column holds a Fernet token, not the secret
        cursor.execute(
            "SELECT secret_encrypted FROM tenants_twofactordevice WHERE user_id = %s",
            [staff.user_id],
        )
        stored = cursor.fetchone()[0]
    assert stored.startswith("gAAAAA") and secret not in stored
    assert TwoFactorDevice.objects.get(user=staff.user).secret_encrypted == secret

    right = _code(secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    refused = client.post("/login/set-up/", {"code": wrong}, headers=EN)
    assert "That code is not right." in refused.content.decode()
    assert not _signed_in(client) and not two_factor.is_enrolled(staff.user)

    done = client.post("/login/set-up/", {"code": right}, headers=EN)
    page = done.content.decode()
    codes = _codes_on(page)
    assert done.status_code == 200 and len(codes) == 10 and len(set(codes)) == 10
    assert "this page will not show them again" in page and 'href="/"' in page
    assert _signed_in(client) and client.get("/").status_code == 200
    # the codes are kept only as digests; the secret is never shown again
    stored = set(RecoveryCode.objects.filter(user=staff.user).values_list("digest", flat=True))
    assert len(stored) == 10 and not stored & set(codes)
    security = client.get("/settings/security/", headers=EN).content.decode()
    assert secret not in security and "10 unused recovery codes" in security
    assert all(code not in security for code in codes)
    assert AuditEvent.objects.filter(business=business, action="staff.two_factor_on").exists()


def test_the_code_from_the_app_completes_the_sign_in_once(business, clock):
    staff = _member(business)
    secret, _codes = _enrolled(staff)
    clock.shift(dt.timedelta(seconds=30))  # the set-up used this step's code
    client = Client()
    response = _login(client, next="/customers/")
    assert response.status_code == 302 and response["Location"] == "/login/code/"
    assert not _signed_in(client)
    assert client.get("/")["Location"].startswith("/login/")
    page = client.get("/login/code/", headers=EN).content.decode()
    assert "enter the 6-digit code" in page

    code = _code(secret)
    done = client.post("/login/code/", {"code": code})
    assert done.status_code == 302 and done["Location"] == "/customers/"
    assert _signed_in(client)

    # the same code, again, in the same 30 seconds: refused
    thief = Client()
    _login(thief)
    replay = thief.post("/login/code/", {"code": code}, headers=EN)
    assert "That code was used already." in replay.content.decode()
    assert not _signed_in(thief)
    # the previous step's code (within the drift allowed) is older than the one used: refused
    clock.shift(dt.timedelta(seconds=-30))
    older = thief.post("/login/code/", {"code": _code(secret)}, headers=EN)
    assert not _signed_in(thief) and "used already" in older.content.decode()
    # the next step's code works
    clock.shift(dt.timedelta(seconds=60))
    assert thief.post("/login/code/", {"code": _code(secret)}).status_code == 302
    assert _signed_in(thief)


def test_a_code_one_step_off_is_accepted_for_a_phone_clock_that_drifts(business, clock):
    staff = _member(business)
    secret, _codes = _enrolled(staff)
    clock.shift(dt.timedelta(seconds=60))
    late_phone = pyotp.TOTP(secret).at(timezone.now() - dt.timedelta(seconds=30))
    client = Client()
    _login(client)
    assert client.post("/login/code/", {"code": late_phone}).status_code == 302
    far_phone = pyotp.TOTP(secret).at(timezone.now() + dt.timedelta(seconds=90))
    other = Client()
    _login(other)
    other.post("/login/code/", {"code": far_phone})
    assert not _signed_in(other)


def test_each_recovery_code_works_once(business, clock):
    staff = _member(business)
    _secret, codes = _enrolled(staff)
    first = Client()
    _login(first)
    done = first.post("/login/code/", {"code": codes[0]}, headers=EN)
    assert done.status_code == 302 and _signed_in(first)
    home = first.get("/", headers=EN).content.decode()
    assert "You signed in with a recovery code: 9 are left." in home

    again = Client()
    _login(again)
    refused = again.post("/login/code/", {"code": codes[0]}, headers=EN)
    assert not _signed_in(again) and "That code is not right." in refused.content.decode()
    # typed in capitals without the dash, the next one works
    assert (
        again.post("/login/code/", {"code": codes[1].replace("-", "").upper()}).status_code == 302
    )
    assert two_factor.recovery_codes_left(staff.user) == 8


def test_new_recovery_codes_replace_the_old_ones(business, staff_client, clock):
    staff = _member(business)
    secret, old = _enrolled(staff)
    client = Client()
    client.force_login(staff.user)
    clock.shift(dt.timedelta(seconds=30))
    wrong = client.post("/settings/security/recovery-codes/", {"code": "000000"}, headers=EN)
    assert _codes_on(wrong.content.decode()) == []
    made = client.post("/settings/security/recovery-codes/", {"code": _code(secret)}, headers=EN)
    new = _codes_on(made.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    for code, works in ((old[2], False), (new[0], True)):
        signing = Client()
        _login(signing)
        signing.post("/login/code/", {"code": code})
        assert _signed_in(signing) is works


def test_guessing_codes_locks_the_username_like_wrong_passwords(business, clock):
    staff = _member(business)
    secret, _codes = _enrolled(staff)
    clock.shift(dt.timedelta(seconds=30))
    guesser = Client(REMOTE_ADDR="203.0.113.5")
    for n in range(3):
        _login(guesser)
        page = guesser.post("/login/code/", {"code": f"{n:06d}"}, headers=EN).content.decode()
        assert "That code is not right." in page
    # a correct password in between does not clear the count
    assert SignInFailure.objects.filter(username="mama").count() == 3
    _login(guesser)
    for n in range(3, 5):
        page = guesser.post("/login/code/", {"code": f"{n:06d}"}, headers=EN).content.decode()
    assert "Too many failed attempts. Try again in 15 minutes." in page
    # locked: even the right code, and the password step too
    locked = guesser.post("/login/code/", {"code": _code(secret)}, headers=EN)
    assert "Too many failed attempts" in locked.content.decode() and not _signed_in(guesser)
    owner = Client(REMOTE_ADDR="198.51.100.7")
    assert "Too many failed attempts" in _login(owner).content.decode()
    clock.shift(dt.timedelta(minutes=16))
    _login(owner)
    assert owner.post("/login/code/", {"code": _code(secret)}).status_code == 302
    assert not SignInFailure.objects.filter(username="mama").exists()


def test_the_second_step_waits_five_minutes(business, clock):
    staff = _member(business)
    secret, _codes = _enrolled(staff)
    client = Client()
    _login(client)
    clock.shift(dt.timedelta(minutes=5, seconds=1))
    late = client.post("/login/code/", {"code": _code(secret)})
    assert late.status_code == 302 and late["Location"].startswith("/login/")
    assert not _signed_in(client)
    page = client.get(late["Location"], headers=EN).content.decode()
    assert "The sign-in took too long. Enter your password again." in page
    assert client.get("/login/code/")["Location"] == "/login/"


def test_cashiers_need_it_only_when_the_business_says_everyone(business, staff_client, clock):
    _member(business, "kwanza", Role.CASHIER)
    cashier = Client()
    response = _login(cashier, "kwanza")
    assert response["Location"] == "/" and _signed_in(cashier)

    owner = staff_client(business, Role.OWNER)
    page = owner.get("/settings/", headers=EN).content.decode()
    assert 'data-testid="two-factor-policy"' in page and "Owners and managers" in page
    saved = owner.post("/settings/two-step/", {"two_factor_required": "everyone"})
    assert saved.status_code == 302
    business.refresh_from_db()
    assert business.two_factor_required == "everyone"
    event = AuditEvent.objects.get(business=business, action="business.two_factor_policy")
    assert event.details == {"from": "owners_managers", "to": "everyone"}

    again = Client()
    assert _login(again, "kwanza")["Location"] == "/login/set-up/" and not _signed_in(again)

    owner.post("/settings/two-step/", {"two_factor_required": "nobody"})
    _member(business, "bosi", Role.OWNER)
    boss = Client()
    assert _login(boss, "bosi")["Location"] == "/" and _signed_in(boss)


def test_the_strictest_business_of_a_user_applies(business, other_business):
    business.two_factor_required = "nobody"
    business.save()
    _member(business, "mbili", Role.OWNER)
    _member(other_business, "mbili", Role.MANAGER)  # owners and managers: required
    assert _login(Client(), "mbili")["Location"] == "/login/set-up/"


def test_only_the_owner_chooses_and_only_known_choices(business, staff_client):
    manager = staff_client(business, Role.MANAGER)
    assert 'data-testid="two-factor-policy"' not in manager.get("/settings/").content.decode()
    assert manager.post("/settings/two-step/", {"two_factor_required": "nobody"}).status_code == 403
    owner = staff_client(business, Role.OWNER)
    owner.post("/settings/two-step/", {"two_factor_required": "sometimes"})
    business.refresh_from_db()
    assert business.two_factor_required == "owners_managers"


def test_the_admin_sign_in_cannot_skip_the_second_step(business, clock):
    staff = _member(business, "boss")
    staff.user.is_staff = staff.user.is_superuser = True
    staff.user.save()
    client = Client()
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    response = _login(client, "boss", path="/admin/login/?next=/admin/")
    assert response["Location"] == "/login/set-up/" and not _signed_in(client)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")

    secret = _secret_on(client.get("/login/set-up/").content.decode())
    done = client.post("/login/set-up/", {"code": _code(secret)}).content.decode()
    assert 'href="/admin/"' in done and client.get("/admin/").status_code == 200

    clock.shift(dt.timedelta(seconds=30))
    later = Client()
    assert _login(later, "boss", path="/admin/login/")["Location"] == "/login/code/"
    assert later.get("/admin/").status_code == 302
    assert later.post("/login/code/", {"code": _code(secret)})["Location"] == "/admin/"
    assert later.get("/admin/").status_code == 200


def test_a_till_pin_does_not_switch_in_someone_who_needs_a_code(business, staff_client):
    manager = _member(business, "meneja", Role.MANAGER)
    staff_pin_set(staff=manager, pin="4739")
    till = staff_client(business, Role.CASHIER, username="kwanza")
    refused = till.post("/till/switch/", {"pin": "4739", "next": "/"}, headers=EN)
    assert refused.status_code == 403
    assert "signs in with a password and a code" in refused.content.decode()
    assert till.session["_auth_user_id"] != str(manager.user_id)


def test_the_owner_resets_a_cashiers_second_step_and_a_manager_cannot(
    business, other_business, staff_client
):
    cashier = _member(business, "kwanza", Role.CASHIER)
    _enrolled(cashier)
    path = f"/settings/staff/{cashier.pk}/two-step/reset/"

    manager = staff_client(business, Role.MANAGER)
    assert manager.post(path, {"confirmed": "1"}).status_code == 403
    stranger = staff_client(other_business, Role.OWNER)
    assert stranger.post(path, {"confirmed": "1"}).status_code == 404
    assert two_factor.is_enrolled(cashier.user)

    owner = staff_client(business, Role.OWNER, username="bosi")
    member_page = owner.get(f"/settings/staff/{cashier.pk}/", headers=EN).content.decode()
    assert 'data-testid="staff-two-step-reset"' in member_page
    asking = owner.post(path, headers=EN)
    assert asking.status_code == 200 and 'data-testid="confirm"' in asking.content.decode()
    assert two_factor.is_enrolled(cashier.user)
    done = owner.post(path, {"confirmed": "1"})
    assert done.status_code == 302 and done["Location"] == f"/settings/staff/{cashier.pk}/"
    assert not two_factor.is_enrolled(cashier.user)
    assert not RecoveryCode.objects.filter(user=cashier.user).exists()
    event = AuditEvent.objects.get(business=business, action="staff.two_factor_reset")
    assert event.object_id == str(cashier.pk) and event.actor.username == "bosi"
    # a cashier needs no code by default: the next sign-in is one step again
    assert _login(Client(), "kwanza")["Location"] == "/"


def test_a_cashier_turns_it_on_and_off_on_the_security_page(business, clock):
    cashier = _member(business, "kwanza", Role.CASHIER)
    client = Client()
    client.force_login(cashier.user)
    page = client.get("/", headers=EN).content.decode()
    assert 'href="/settings/security/"' in page
    page = client.get("/settings/security/", headers=EN).content.decode()
    assert "Off: you sign in with your password only." in page
    client.post("/settings/security/start/")
    page = client.get("/settings/security/", headers=EN).content.decode()
    secret = _secret_on(page)
    refused = client.post("/settings/security/confirm/", {"code": "12345"}, headers=EN)
    assert "That code is not right." in refused.content.decode()
    assert _secret_on(refused.content.decode()) == secret
    done = client.post("/settings/security/confirm/", {"code": _code(secret)}, headers=EN)
    assert len(_codes_on(done.content.decode())) == 10
    page = client.get("/settings/security/", headers=EN).content.decode()
    assert "On: after your password" in page and secret not in page

    clock.shift(dt.timedelta(seconds=30))
    assert _login(Client(), "kwanza")["Location"] == "/login/code/"
    client.post("/settings/security/off/", {"code": _code(secret)})
    assert not two_factor.is_enrolled(cashier.user)
    assert _login(Client(), "kwanza")["Location"] == "/"


def test_an_owner_cannot_turn_it_off_where_it_is_required(business, clock):
    owner = _member(business)
    secret, _codes = _enrolled(owner)
    client = Client()
    client.force_login(owner.user)
    page = client.get("/settings/security/", headers=EN).content.decode()
    assert 'data-testid="off-form"' not in page and "it stays on" in page
    clock.shift(dt.timedelta(seconds=30))
    refused = client.post("/settings/security/off/", {"code": _code(secret)}, headers=EN)
    assert "it stays on" in refused.content.decode()
    assert two_factor.is_enrolled(owner.user)


def test_an_owner_who_lost_phone_and_codes_is_reset_from_the_command_line(business, clock, capsys):
    from wateja.cli import main as wateja_main

    owner = _member(business)
    _enrolled(owner)
    assert two_factor.is_enrolled(owner.user)
    code = wateja_main(
        ["staff", "reset-two-factor", "--business", business.slug, "--username", "mama"]
    )
    assert code == 0 and "reset for mama" in capsys.readouterr().out
    assert not two_factor.is_enrolled(owner.user)
    assert AuditEvent.objects.filter(business=business, action="staff.two_factor_reset").exists()
    unknown = ["staff", "reset-two-factor", "--business", business.slug, "--username", "nobody"]
    assert wateja_main(unknown) == 2
