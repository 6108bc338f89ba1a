"""Test settings: a throwaway data directory, Huey running tasks inline, fast password hashing."""

import os
import tempfile

os.environ.setdefault("WATEJA_DATA_DIR", tempfile.mkdtemp(prefix="wateja-test-"))
os.environ.setdefault("WATEJA_HUEY_IMMEDIATE", "1")

from wateja.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
