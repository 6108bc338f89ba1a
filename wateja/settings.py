"""Django settings, read from environment variables with safe defaults for local use.

WATEJA_DATA_DIR     where the SQLite database, Huey queue, secret key and static files live (./var)
DATABASE_URL        e.g. postgres://user@host:5432/wateja; SQLite in the data dir when unset
DATABASE_POOL       "transaction" when DATABASE_URL is a pooler in transaction mode (PgBouncer):
                    no server-side cursors, WATEJA_PG_PREPARE off unless set to 1
DATABASE_REPLICA_URL a streaming replica of DATABASE_URL that reports and exports read from
                    (wateja/dbrouting.py); unset: everything reads from DATABASE_URL
WATEJA_PG_PREPARE   "0" stops the ledger preparing its statements on PostgreSQL (default "1",
                    "0" with DATABASE_POOL=transaction)
REDIS_URL           e.g. redis://127.0.0.1:6379/0; Huey and the cache use it when set
WATEJA_SECRET_KEY   Django secret key; generated once into the data dir when unset
WATEJA_DEBUG        "1" to turn on debug pages (never in production)
WATEJA_ALLOWED_HOSTS comma separated; defaults to the host of WATEJA_PUBLIC_URL and localhost
                    names, or "*" when WATEJA_PUBLIC_URL is not set either (a laptop)
WATEJA_HTTPS        "1" behind HTTPS: secure cookies, HSTS (WATEJA_HSTS_SECONDS), redirect to
                    https, and X-Forwarded-Proto from the proxy trusted
WATEJA_MAX_BODY_BYTES largest request body accepted (1 MiB)
WATEJA_PUBLIC_URL   the address customers open links at (message links, unsubscribe, QR codes)
WATEJA_EMAIL_HOST, WATEJA_EMAIL_PORT, WATEJA_EMAIL_USER, WATEJA_EMAIL_PASSWORD,
WATEJA_EMAIL_TLS ("1" for STARTTLS), WATEJA_EMAIL_FROM: the SMTP server e-mail goes through
WATEJA_BACKUP_DIR   where `wateja backup` and the nightly backup write ($WATEJA_DATA_DIR/backups)
WATEJA_BACKUP_KEEP  how many backups are kept there (14); older ones are deleted
WATEJA_BACKUP_HOUR  hour of the nightly backup, server local time (2); "off" or empty: none
WATEJA_SESSION_IDLE_MINUTES staff sessions end after this long without a request (30)
WATEJA_IMPORT_RETENTION_DAYS uploaded customer files are deleted after this many days (30)
WATEJA_CARD_LINK_DAYS a customer's card page link works this many days after it is sent (365)
WATEJA_DARAJA_URL   M-Pesa Daraja API address for every business (default: Safaricom's sandbox
                    or production address, as each business's M-Pesa settings say)
WATEJA_WEBHOOKS_ALLOW_PRIVATE "1": webhooks may go to private addresses and plain http (tests, a
                    private network); otherwise only public https addresses
WATEJA_FERNET_KEY   key that encrypts provider secrets at rest; generated into the data dir when
                    unset (`wateja backup` saves it beside each backup, `wateja restore` brings
                    it back: without it the secrets are lost). Several keys, comma separated:
                    the first encrypts, each decrypts (how a key is rotated)
"""

import base64
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from wateja.core.files import PRIVATE_FOLDER, write_private

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("WATEJA_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)


def _secret_key() -> str:
    key = os.environ.get("WATEJA_SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    write_private(path, secrets.token_urlsafe(50))  # 0600; kept when it exists
    return path.read_text().strip()


SECRET_KEY = _secret_key()


def _fernet_keys() -> list[str]:
    """The keys that encrypt provider secrets at rest (wateja/tenants/secrets.py): the first
    encrypts, each one decrypts."""
    given = os.environ.get("WATEJA_FERNET_KEY", "")
    if given.strip():
        return [k.strip() for k in given.split(",") if k.strip()]
    path = DATA_DIR / "fernet_key"
    write_private(path, base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n")
    return [k.strip() for k in path.read_text().replace(",", "\n").splitlines() if k.strip()]


FERNET_KEYS = _fernet_keys()
DEBUG = os.environ.get("WATEJA_DEBUG", "") == "1"


def _allowed_hosts() -> list[str]:
    """WATEJA_ALLOWED_HOSTS when given; else the host of WATEJA_PUBLIC_URL and this machine's
    own names (a served shop answers only at its address); "*" only when neither is set (a
    laptop, the demo on the LAN sets its address)."""
    given = os.environ.get("WATEJA_ALLOWED_HOSTS", "")
    if given:
        return [h.strip() for h in given.split(",") if h.strip()]
    public = os.environ.get("WATEJA_PUBLIC_URL", "")
    host = urlsplit(public).hostname if public else None
    return [host, "localhost", "127.0.0.1", "[::1]"] if host else ["*"]


ALLOWED_HOSTS = _allowed_hosts()
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("WATEJA_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "huey.contrib.djhuey",
    "wateja.tenants",
    "wateja.catalog",
    "wateja.customers",
    "wateja.wallet",
    "wateja.promotions",
    "wateja.orders",
    "wateja.events",
    "wateja.challenges",
    "wateja.messaging",
    "wateja.payments",
    "wateja.shops",
    "wateja.webhooks",
    "wateja.analytics",
    "wateja.operations",
    "wateja.api",
    "wateja.web",
    "wateja.jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "wateja.api.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "wateja.tenants.middleware.IdleSessionMiddleware",
    "wateja.tenants.middleware.CurrentBusinessMiddleware",
    "wateja.tenants.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wateja.web.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "wateja.urls"
WSGI_APPLICATION = "wateja.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # each screen family keeps its templates in its package: wateja/web/<family>/templates
        "DIRS": sorted((BASE_DIR / "web").glob("*/templates")),
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wateja.web.context.shell",
            ],
        },
    },
]

SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 5,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;"
    ),
}

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
    elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, grouping partitioned tables' rows correctly (wateja/dbbackend)
        DATABASES["default"]["ENGINE"] = "wateja.dbbackend.postgresql"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "wateja.sqlite3"),
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
    # created empty and 0600 before SQLite opens it: its -wal and -shm files take its mode
    write_private(DATA_DIR / "wateja.sqlite3", "")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A read replica (a streaming standby of the database above): the analytics dashboard, its
# exports and the customer export read from it, everything else and every write from the
# primary (wateja/dbrouting.py). Tests mirror it onto the test database.
DATABASE_ROUTERS: list[str] = []
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=60
    )
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"]["ENGINE"] = "wateja.dbbackend.postgresql"
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["wateja.dbrouting.ReplicaRouter"]

# DATABASE_POOL=transaction: the PostgreSQL address is a pooler in transaction mode
# (PgBouncer), which hands the server connection to another client after each transaction.
# Nothing may then outlive a transaction: no server-side cursors (.iterator() would keep one
# open), and no prepared statements unless the pooler keeps them (below).
DATABASE_POOL = os.environ.get("DATABASE_POOL", "").strip().lower()
if DATABASE_POOL not in ("", "session", "transaction"):
    raise ImproperlyConfigured("DATABASE_POOL is empty, session or transaction")
if DATABASE_POOL == "transaction":
    for _database in DATABASES.values():
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True
# The ledger's posting path prepares its statements on PostgreSQL (wallet/statements.py).
# WATEJA_PG_PREPARE=0 turns that off; it is off by default behind a transaction pooler, as
# PgBouncer before 1.21 (Debian 12 ships 1.18), or without max_prepared_statements, loses
# them. WATEJA_PG_PREPARE=1 turns it back on behind PgBouncer 1.21+ with that setting.
PG_PREPARE = (
    os.environ.get("WATEJA_PG_PREPARE", "0" if DATABASE_POOL == "transaction" else "1") != "0"
)

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "wateja",
        "immediate": False,
        "connection": {"url": REDIS_URL},
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "wateja",
        "immediate": False,
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
    write_private(DATA_DIR / "huey.sqlite3", "")  # the queue holds tasks' arguments: 0600
    # shared by every web worker process (counters such as a till's wrong PINs must be)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
if os.environ.get("WATEJA_HUEY_IMMEDIATE") == "1":
    HUEY["immediate"] = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("sw", _("Swahili")),
    ("hy", _("Armenian")),
    ("ru", _("Russian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "wateja_language"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"
# uploaded spreadsheets hold customers' personal data: readable by this account only
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# backups (wateja/operations/backup.py): checked, with a plain fix, by `wateja doctor`
BACKUP_DIR = Path(os.environ.get("WATEJA_BACKUP_DIR") or DATA_DIR / "backups").resolve()
BACKUP_KEEP = os.environ.get("WATEJA_BACKUP_KEEP") or "14"
BACKUP_HOUR = os.environ.get("WATEJA_BACKUP_HOUR", "2")

PUBLIC_URL = os.environ.get("WATEJA_PUBLIC_URL", "http://localhost:8000")
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("WATEJA_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("WATEJA_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("WATEJA_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("WATEJA_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("WATEJA_EMAIL_TLS", "") == "1"
EMAIL_TIMEOUT = 15
DEFAULT_FROM_EMAIL = os.environ.get("WATEJA_EMAIL_FROM", "wateja@localhost")

MAX_BODY_BYTES = int(os.environ.get("WATEJA_MAX_BODY_BYTES", str(1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES
# customer spreadsheets (WATEJA_IMPORT_MAX_BYTES, 50 MiB): the only bodies allowed above
# MAX_BODY_BYTES; uploads over FILE_UPLOAD_MAX_MEMORY_SIZE are streamed to a temporary file
IMPORT_MAX_BYTES = int(os.environ.get("WATEJA_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
API_PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 500

SESSION_IDLE_SECONDS = int(os.environ.get("WATEJA_SESSION_IDLE_MINUTES", "30")) * 60
IMPORT_RETENTION_DAYS = int(os.environ.get("WATEJA_IMPORT_RETENTION_DAYS", "30"))
CARD_LINK_MAX_AGE_DAYS = int(os.environ.get("WATEJA_CARD_LINK_DAYS", "365"))
DARAJA_BASE_URL = os.environ.get("WATEJA_DARAJA_URL", "")
WEBHOOKS_ALLOW_PRIVATE = os.environ.get("WATEJA_WEBHOOKS_ALLOW_PRIVATE", "") == "1"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles and images only from our own static
# files; no inline script, handler or style attribute anywhere (behaviour lives in
# wateja/web/static/wateja/*.js, htmx is told not to inject its indicator <style> nor eval)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if os.environ.get("WATEJA_HTTPS") == "1":  # served behind HTTPS (a proxy terminates TLS)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("WATEJA_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "wateja.core.redact.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("WATEJA_LOG_LEVEL", "WARNING")},
}
