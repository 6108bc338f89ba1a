"""What the `wateja` command writes is this user's alone: after `wateja init` and some use,
the data folder is 0700 and the SQLite database (with its -wal and -shm), the job queue, the
secret key, the encryption keys and each backup with its keys are 0600. An installation
made before (files anyone could read) is narrowed by the next `wateja init`, and
`wateja doctor` says so until then."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.helpers import wateja, wateja_env

PRIVATE = ("wateja.sqlite3", "huey.sqlite3", "secret_key", "fernet_key")
USE = (  # while its connection is open SQLite keeps the -wal and -shm files: their modes then
    "import stat\n"
    "from pathlib import Path\n"
    "from django.conf import settings\n"
    "from wateja.customers.services import customer_create\n"
    "from wateja.tenants.models import Business\n"
    "customer_create(business=Business.objects.get(), name='Amina', phone='0722111222')\n"
    "database = Path(settings.DATABASES['default']['NAME'])\n"
    "print(*(oct(stat.S_IMODE(Path(f'{database}{end}').stat().st_mode)) for end in "
    "('-wal', '-shm')))\n"
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _init(env: dict[str, str]) -> None:
    result = wateja(
        "init", "--business", "Duka", "--owner", "mama", "--password", "siri-kubwa-123",
        "--no-input", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def _doctor(env: dict[str, str]) -> dict[str, dict[str, str]]:
    report = json.loads(wateja("doctor", "--json", env=env).stdout)
    return {check["name"]: check for check in report["checks"]}


def test_the_database_keys_and_backups_are_private(tmp_path):
    data = tmp_path / "shop"
    env = wateja_env(data)
    _init(env)
    used = wateja("manage", "shell", "-c", USE, env=env)
    assert used.returncode == 0, used.stderr
    assert used.stdout.splitlines()[-1].split() == ["0o600", "0o600"]  # -wal and -shm
    backup = wateja("backup", env=env)
    assert backup.returncode == 0, backup.stderr
    path = Path(backup.stdout.split(" (")[0])

    assert _mode(data) == 0o700
    for name in PRIVATE:
        assert (data / name).exists(), name
        assert _mode(data / name) == 0o600, name
    for made in (path, path.with_name(path.name + ".keys")):
        assert _mode(made) == 0o600, made
    assert _mode(path.parent) == 0o700
    assert _doctor(env)["file permissions"]["status"] == "OK"


def test_an_installation_made_before_is_narrowed_by_init(tmp_path):
    data = tmp_path / "old"
    env = wateja_env(data)
    _init(env)
    for name in ("wateja.sqlite3", "secret_key", "fernet_key"):  # as an older version left them
        (data / name).chmod(0o644)
    data.chmod(0o755)
    checks = _doctor(env)
    assert checks["file permissions"]["status"] == "WARN"
    assert "wateja.sqlite3" in checks["file permissions"]["detail"]
    assert checks["file permissions"]["fix"].startswith("Run `wateja init`")
    assert checks["secrets"]["status"] == "WARN"  # the key file itself, with its chmod
    assert "chmod 600" in checks["secrets"]["fix"]

    assert wateja("init", env=env).returncode == 0
    assert _mode(data) == 0o700
    for name in ("wateja.sqlite3", "secret_key", "fernet_key"):
        assert _mode(data / name) == 0o600, name
    assert _doctor(env)["file permissions"]["status"] == "OK"
