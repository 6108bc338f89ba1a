"""Files only their owner may read (0600) and folders only their owner may enter (0700): the
database, the keys, uploaded customer spreadsheets and their problem reports, backups. Each
is created so from its first byte (never created open, then narrowed)."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def write_private(path: Path, text: str) -> bool:
    """Create `path` holding `text`, 0600, whole or not at all; False (and nothing written)
    when it already exists, e.g. another process made it first (then every process reads the
    same, complete file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return False
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.link(partial, path)  # atomic, and refuses to replace a file made meanwhile
    except FileExistsError:
        return False
    finally:
        os.unlink(partial)
    return True


def open_private(path: Path, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """`open(path, mode)` for writing or appending, the file 0600 when it is created (and
    narrowed to 0600 when it existed wider)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    descriptor = os.open(path, flags, PRIVATE_FILE)
    os.fchmod(descriptor, PRIVATE_FILE)
    return os.fdopen(descriptor, mode, **kwargs)


def private_folder(path: Path) -> Path:
    """Make the folder and its missing parents, each 0700; an existing folder itself is
    narrowed to 0700."""
    missing = [folder for folder in (*reversed(path.parents), path) if not folder.exists()]
    for folder in missing:
        folder.mkdir(mode=PRIVATE_FOLDER, exist_ok=True)
        folder.chmod(PRIVATE_FOLDER)  # mkdir's mode passes through the umask
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(PRIVATE_FOLDER)
    return path


def readable_by_others(path: Path) -> bool:
    return path.exists() and bool(stat.S_IMODE(path.stat().st_mode) & 0o077)


def make_private(paths: Iterable[Path]) -> list[Path]:
    """Narrow the existing files among `paths` to 0600 (folders to 0700); the ones changed.
    For installations whose files were created before this was done from the start."""
    changed = []
    for path in paths:
        if not readable_by_others(path):
            continue
        path.chmod(PRIVATE_FOLDER if path.is_dir() else PRIVATE_FILE)
        changed.append(path)
    return changed
