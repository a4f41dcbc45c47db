"""Lasting's settings: one file, driven by environment variables.

Every variable is read through a helper that raises on a bad value, so a typo in a
deployment fails at start-up with a message naming the variable, never later.
Variables (all optional for the local demo):

    LASTING_DEBUG              "1" for development pages (never in production)
    LASTING_SECRET_KEY         signing key; if unset, one is created in var/secret_key
    LASTING_AUDIT_KEY          key of the audit trail's HMAC chain; if unset, var/audit_key
    LASTING_AUDIT_ANCHOR_FILE  append-only file of the chain's anchors (var/audit-anchors.jsonl)
    LASTING_DATABASE_URL       sqlite:///path/to/file.sqlite3 or postgres://user@host:port/name
    LASTING_ALLOWED_HOSTS      comma-separated host names (default 127.0.0.1,localhost)
    LASTING_VAR_DIR            SQLite file, secret key and built assets (default ./var)
    LASTING_SECURE_COOKIES     "1" behind HTTPS: __Host- cookies, HSTS, SSL redirect
    LASTING_TASK_BACKEND       "database" (default), "rq" (Redis; production) or "immediate"
    LASTING_REDIS_URL          Redis for the rq backend (default redis://127.0.0.1:6379/0)
    LASTING_SMS_BACKEND        text-message reminders: unset (not sent) or "console" (printed)
    LASTING_TRUST_REQUEST_ID   "1" behind a proxy that sets X-Request-ID
    LASTING_TRUST_FORWARDED_FOR "1" behind one reverse proxy that appends X-Forwarded-For
    LASTING_RISK_SWEEP_MINUTES minutes between the engine's sweeps of every patient (default 60)
    LASTING_QUIET_AFTER_DAYS   days without a check-in before the call list shows a patient (10)
    LASTING_PHONE_REGION       country of phone numbers written without + (ISO code, default US)
    LASTING_SITE_URL           public base URL used in check-in links (default http://127.0.0.1:8000)
    LASTING_SMTP_URL           smtp://user:password@host:port (STARTTLS), smtps://, or
                               smtp+plain:// for a local relay (default: print to console)
    LASTING_MAIL_DIR           without SMTP: save e-mails as files here (the demo: var/mail)
    LASTING_FROM_EMAIL         sender address of Lasting's e-mails
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean variable: 1/true/yes or 0/false/no."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """Read a whole number of at least `minimum`."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def database_from_url(url: str) -> dict[str, object]:
    """Turn LASTING_DATABASE_URL into a Django DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative.sqlite3 -> "relative.sqlite3";
        # sqlite:////abs/x.sqlite3 -> "/abs/x.sqlite3"
        path = unquote(parts.path)
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ImproperlyConfigured("LASTING_DATABASE_URL: a sqlite URL needs a file path")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": {
                # Writers queue instead of failing with "database is locked" mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                # WAL lets readers run beside the writer; FULL makes an acknowledged write durable.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
            },
        }
    if parts.scheme in {"postgres", "postgresql"}:
        name = parts.path.lstrip("/")
        if not name:
            raise ImproperlyConfigured("LASTING_DATABASE_URL: a postgres URL needs a database name")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(name),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
        }
    raise ImproperlyConfigured(
        f"LASTING_DATABASE_URL must start with sqlite:/// or postgres://, got {parts.scheme!r}"
    )


DEBUG = env_bool("LASTING_DEBUG", False)
VAR_DIR = Path(os.environ.get("LASTING_VAR_DIR") or Path.cwd() / "var").resolve()


def make_private(directory: Path) -> None:
    """Create `directory` readable by this account only, and close one left open.

    var/ holds the SQLite database and its WAL, the secret key and e-mails that carry live
    sign-in links; `lasting` also runs with umask 077, so what it writes there is 0600.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    status = directory.stat()
    if status.st_mode & 0o077 and status.st_uid == os.getuid():
        directory.chmod(0o700)


make_private(VAR_DIR)


def read_key(variable: str, file_name: str) -> str:
    """Use the environment variable, or a key kept in var/`file_name` for local installs
    (created once, readable by this account only)."""
    configured = os.environ.get(variable)
    if configured:
        if len(configured) < 32:
            raise ImproperlyConfigured(f"{variable} must be at least 32 characters")
        return configured
    key_file = VAR_DIR / file_name
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    key_file.touch(mode=0o600)
    key_file.write_text(key)
    return key


SECRET_KEY = read_key("LASTING_SECRET_KEY", "secret_key")
# The audit trail's hashes are keyed (HMAC-SHA256) with a key kept outside the database,
# so whoever can write the database cannot forge a consistent trail.
AUDIT_KEY = read_key("LASTING_AUDIT_KEY", "audit_key")
# The chain's head (its hash and event count) is written here and to the log stream
# every AUDIT_ANCHOR_MINUTES; `lasting audit verify` checks the trail against it.
AUDIT_ANCHOR_FILE = Path(
    os.environ.get("LASTING_AUDIT_ANCHOR_FILE") or VAR_DIR / "audit-anchors.jsonl"
)
ALLOWED_HOSTS = env_list("LASTING_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
SITE_URL = os.environ.get("LASTING_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
TRUST_REQUEST_ID = env_bool("LASTING_TRUST_REQUEST_ID", False)
TRUST_FORWARDED_FOR = env_bool("LASTING_TRUST_FORWARDED_FOR", False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "lasting.audit",
    "lasting.accounts",
    "lasting.patients",
    "lasting.treatment",
    "lasting.checkins",
    "lasting.alerts",
    "lasting.prevention",
    "lasting.risk",
    "lasting.plans",
    "lasting.intake",
    "lasting.outreach",
    "lasting.clinic",
    "lasting.schedule",
    "lasting.costs",
    "lasting.outcomes",
    "lasting.portal",
    "lasting.evaluations",
    "lasting.reports",
    "lasting.fhir",
    "ninja",
    "lasting.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lasting.audit.middleware.ForwardedForMiddleware",
    "lasting.audit.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "lasting.accounts.middleware.SessionLimitsMiddleware",
    "lasting.accounts.middleware.MembershipMiddleware",
    "lasting.accounts.mfa.SecondStepMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "lasting.accounts.middleware.HtmxLoginRedirectMiddleware",
    "lasting.audit.middleware.NoStoreMiddleware",
]

ROOT_URLCONF = "lasting.urls"
WSGI_APPLICATION = "lasting.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lasting.accounts.context_processors.membership",
            ],
        },
    }
]

DATABASES = {
    "default": database_from_url(
        os.environ.get("LASTING_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'lasting.sqlite3'}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache every process shares (the web workers and the worker that precomputes the
# clinic's outcome report): a table in the database, created after every `migrate`
# (accounts/apps.py), however it is run.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "lasting_cache",
    }
}

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"

# The second step of every workforce sign-in (accounts/mfa.py): an authenticator app's
# six-digit code (TOTP, RFC 6238) or one of ten single-use recovery codes. A wrong code
# doubles the wait before the next try (1, 2, 4 ... seconds, django-otp's throttle).
OTP_TOTP_ISSUER = "Lasting"
OTP_TOTP_THROTTLE_FACTOR = 1
LOGOUT_REDIRECT_URL = "accounts:login"

# Argon2id first (OWASP ASVS; docs/clinical.md#privacy-and-security); the others only
# verify old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# NIST SP 800-63B: length and a common-password check, no composition or rotation rules.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "lasting.accounts.passwords.MaximumLengthValidator"},
    {"NAME": "lasting.accounts.passwords.RepetitionValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]

# A password-reset link works once (it stops when the password changes) and for 3 days.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 60 * 60

# Sessions: absolute limit here; the idle limit is enforced by SessionLimitsMiddleware.
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_IDLE_SECONDS = 15 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("LASTING_SECURE_COOKIES", False)
if SECURE_COOKIES:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 63072000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content Security Policy, enforced on every response (django-csp): scripts, styles and
# everything else only from this site's own files. No inline scripts or styles and no eval:
# Vega charts run their expressions through Vega's interpreter (lasting/chart.js) and
# HTMX has eval and its injected indicator styles turned off (clinic/base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Built assets (the offline Vega bundle) are written here by `lasting.clinic.charts`.
BUILT_ASSETS_DIR = VAR_DIR / "built-assets"
BUILT_ASSETS_DIR.mkdir(parents=True, exist_ok=True)
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BUILT_ASSETS_DIR]
# Hashed names and gzip copies once `collectstatic` has run (lasting.cli.prepare_site);
# WhiteNoise then serves them compressed with a year's cache. Before it, the finders serve
# the plain names (lasting.staticfiles).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "lasting.staticfiles.StaticStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

_task_backends = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_task_backend = os.environ.get("LASTING_TASK_BACKEND", "database")
if _task_backend not in _task_backends:
    raise ImproperlyConfigured(
        f"LASTING_TASK_BACKEND must be one of {sorted(_task_backends)}, got {_task_backend!r}"
    )
TASK_BACKEND = _task_backend
# RQ keeps its queues in Redis (only used with LASTING_TASK_BACKEND=rq).
REDIS_URL = os.environ.get("LASTING_REDIS_URL", "redis://127.0.0.1:6379/0")
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
TASKS = {"default": {"BACKEND": _task_backends[_task_backend], "QUEUES": ["default"]}}

CHECKIN_LINK_DAYS = 7
# A patient in active care without a check-in for this long is on the call list
# (weekly check-ins plus a few days' grace).
QUIET_AFTER_DAYS = env_int("LASTING_QUIET_AFTER_DAYS", 10, minimum=1)


def env_phone_region(name: str, default: str) -> str:
    import phonenumbers

    region = os.environ.get(name, default).strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ImproperlyConfigured(
            f"{name} must be a country code such as US or MX, got {region!r}"
        )
    return region


# Patients' phone numbers written without a country code are read as this country's.
PHONE_REGION = env_phone_region("LASTING_PHONE_REGION", "US")
# How often the worker looks for safety alerts past their acknowledgement deadline.
ESCALATION_CHECK_SECONDS = 60
# How often check-ins are planned ahead, and due reminders looked for.
CHECKIN_PLANNING_MINUTES = 60
REMINDER_CHECK_SECONDS = 60
# Where text messages go. Unset: nowhere (a text-message reminder is logged as not sent);
# "console" prints them with their link, for local development only; a provider's
# backend plugs in here.
SMS_BACKEND = os.environ.get("LASTING_SMS_BACKEND", "")
if SMS_BACKEND not in {"", "console"}:
    raise ImproperlyConfigured(
        f"LASTING_SMS_BACKEND must be unset or 'console', got {SMS_BACKEND!r}"
    )
# How often the worker recomputes every patient's risk (the engine's batch sweep).
RISK_SWEEP_MINUTES = env_int("LASTING_RISK_SWEEP_MINUTES", 60, minimum=1)
AUDIT_ANCHOR_MINUTES = 10


def email_settings(url: str, mail_dir: str = "") -> dict[str, object]:
    """Turn LASTING_SMTP_URL into settings.

    smtp://user:password@host:port   STARTTLS, required (port 587 by default)
    smtps://user:password@host:port  TLS from the start (port 465 by default)
    smtp+plain://host:port           no TLS: only for a relay on this host or a trusted
                                     network (sign-in links and passwords cross it in clear)

    Without a URL, e-mails are saved as files in LASTING_MAIL_DIR if it is set (the demo
    does this), else printed on the console.
    """
    if not url and mail_dir:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": mail_dir,
        }
    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlsplit(url)
    ports = {"smtp": 587, "smtps": 465, "smtp+plain": 25}
    if parts.scheme not in ports or not parts.hostname:
        raise ImproperlyConfigured(
            "LASTING_SMTP_URL must look like smtp://user:password@host:port (or smtps://, "
            f"or smtp+plain:// for a local relay), got {parts.scheme!r}"
        )
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": parts.port or ports[parts.scheme],
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": parts.scheme == "smtp",
        "EMAIL_TIMEOUT": 20,
    }


_email = email_settings(
    os.environ.get("LASTING_SMTP_URL", ""), os.environ.get("LASTING_MAIL_DIR", "")
)
EMAIL_BACKEND = str(_email["EMAIL_BACKEND"])
EMAIL_FILE_PATH = str(_email.get("EMAIL_FILE_PATH", VAR_DIR / "mail"))
EMAIL_HOST = str(_email.get("EMAIL_HOST", "localhost"))
EMAIL_PORT = int(str(_email.get("EMAIL_PORT", 25)))
EMAIL_HOST_USER = str(_email.get("EMAIL_HOST_USER", ""))
EMAIL_HOST_PASSWORD = str(_email.get("EMAIL_HOST_PASSWORD", ""))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("LASTING_FROM_EMAIL", "Lasting <lasting@localhost>")

# Logs carry request ids and outcomes, never clinical values or names.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact": {"()": "lasting.audit.redaction.RedactingFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        # Django's own handlers (the debug console, the admin e-mails, the dev server's)
        # would skip the redaction: everything goes through the one redacting handler.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}
