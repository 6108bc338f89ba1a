"""Test settings: a throwaway data directory, Huey running tasks inline, fast password hashing."""

import os
import tempfile

os.environ.setdefault("WATEJA_DATA_DIR", tempfile.mkdtemp(prefix="wateja-test-"))
os.environ.setdefault("WATEJA_HUEY_IMMEDIATE", "1")

from wateja.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # a file, not memory, so threads in the concurrency tests use SQLite's real locking
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(os.environ["WATEJA_DATA_DIR"], "test.sqlite3")
    }  # noqa: F405
