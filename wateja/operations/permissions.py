"""Who may read the data directory: its database, keys, uploaded spreadsheets and backups
are this user's alone (files 0600, folders 0700). New files are created so (the `wateja`
command's umask, wateja.core.files); `files_narrow` fixes an installation made before, and
`wateja doctor` reports what is still open."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from wateja.core.files import make_private
from wateja.operations import backup

DATA_FILES = (
    "wateja.sqlite3", "wateja.sqlite3-wal", "wateja.sqlite3-shm",
    "huey.sqlite3", "huey.sqlite3-wal", "huey.sqlite3-shm",
    "secret_key", "fernet_key",
)  # fmt: skip


def sensitive_files() -> list[Path]:
    """The files and folders that hold personal data or keys (those that exist)."""
    data = Path(settings.DATA_DIR)
    found = [data, *(data / name for name in DATA_FILES)]
    for folder in (Path(settings.MEDIA_ROOT), backup.backup_dir()):
        if folder.is_dir():
            found += [folder, *folder.rglob("*")]
    return [path for path in found if path.exists()]


def files_narrow() -> list[Path]:
    """Make every sensitive file 0600 and folder 0700; the ones that were wider."""
    return make_private(sensitive_files())
