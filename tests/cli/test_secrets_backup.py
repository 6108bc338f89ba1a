"""`wateja backup` saves the keys beside the backup (0600) and `wateja restore` on a fresh
machine brings them back: the provider secrets still open there and the card links sent
before still work; a backup copied without its keys restores without crashing, the secrets
read as unset and `wateja doctor` fails with the fix."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.helpers import wateja, wateja_env

TWILIO = "twilio-auth-token-0123456789abcdef"


def _shell(code: str, env: dict[str, str]) -> str:
    result = wateja("manage", "shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


SET = (
    "from wateja.messaging.config import messaging_settings_update\n"
    "from wateja.tenants.models import Business\n"
    "messaging_settings_update(business=Business.objects.get(), sms_provider='twilio', "
    f"twilio_account_sid='AC' + '1' * 32, twilio_auth_token='{TWILIO}', sms_sender='+15550001')\n"
)
LINK = (
    "from wateja.customers.links import card_page_url\n"
    "from wateja.customers.services import customer_create\n"
    "from wateja.tenants.models import Business\n"
    "customer = customer_create(business=Business.objects.get(), name='Amina', "
    "phone='0722111222')\n"
    "print(card_page_url(customer.cards.get()).split('8000', 1)[1])\n"
)
OPEN = "from django.test import Client\nprint(Client().get('{path}').status_code)\n"
READ = (
    "from wateja.messaging.config import messaging_settings\n"
    "from wateja.tenants.models import Business\n"
    "print(messaging_settings(Business.objects.get()).twilio_auth_token or 'EMPTY')\n"
)


def test_a_backup_restored_on_a_fresh_machine_opens_its_secrets(tmp_path):
    shop = wateja_env(tmp_path / "shop")
    made = wateja(
        "init", "--business", "Duka", "--owner", "mama", "--password", "siri-kubwa-123",
        "--no-input", env=shop,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    _shell(SET, shop)
    link = _shell(LINK, shop)  # a card page link sent to a customer before the move
    assert _shell(OPEN.format(path=link), shop) == "200"
    backup = wateja("backup", env=shop)
    assert backup.returncode == 0, backup.stderr
    path = Path(backup.stdout.split(" (")[0])
    keys = path.with_name(path.name + ".keys")
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    saved = json.loads(keys.read_text())
    shop_key = (tmp_path / "shop" / "fernet_key").read_text().strip()
    assert saved["fernet_keys"] == [shop_key]
    assert TWILIO.encode() not in path.read_bytes()  # the backup holds the token only

    fresh = wateja_env(tmp_path / "new-machine")
    wateja("init", env=fresh)  # a new machine: its own keys, generated
    assert (tmp_path / "new-machine" / "fernet_key").read_text().strip() != shop_key
    restored = wateja("restore", "--yes", str(path), env=fresh)
    assert restored.returncode == 0, restored.stderr
    assert "encryption keys from" in restored.stdout and "secret key from" in restored.stdout
    assert _shell(READ, fresh) == TWILIO
    assert _shell(OPEN.format(path=link), fresh) == "200"  # signed with the restored key
    key_file = tmp_path / "new-machine" / "fernet_key"
    assert shop_key in key_file.read_text() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    doctor = json.loads(wateja("doctor", "--json", env=fresh).stdout)
    checks = {check["name"]: check for check in doctor["checks"]}
    assert checks["secrets"]["status"] == "OK"

    keys.unlink()  # a backup copied without its keys, restored on a third machine
    third = wateja_env(tmp_path / "third")
    lost = wateja("restore", str(path), env=third)
    assert lost.returncode == 0, lost.stderr
    assert f"No {keys.name} beside the backup" in lost.stdout
    assert _shell(READ, third) == "EMPTY"  # no crash: the provider looks unconfigured
    doctor = json.loads(wateja("doctor", "--json", env=third).stdout)
    checks = {check["name"]: check for check in doctor["checks"]}
    assert checks["secrets"]["status"] == "FAIL"
