"""Test settings: a throwaway data directory, Huey running tasks inline, fast password hashing."""

import os
import tempfile

os.environ.setdefault("WATEJA_DATA_DIR", tempfile.mkdtemp(prefix="wateja-test-"))
os.environ.setdefault("WATEJA_HUEY_IMMEDIATE", "1")

from wateja.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

_database = DATABASES["default"]  # noqa: F405
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # a file, not memory, so threads in the concurrency tests use SQLite's real locking
    _database["TEST"] = {"NAME": os.path.join(os.environ["WATEJA_DATA_DIR"], "test.sqlite3")}

# each test process its own cache (xdist workers would otherwise clear each other's)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# tests travel in time while signed in (force_login): sessions do not lapse unless a test says
SESSION_IDLE_SECONDS = 10 * 365 * 24 * 3600
