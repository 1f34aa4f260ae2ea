"""One settings module, driven by environment variables.

Every setting has an embedded default that runs on one machine with nothing
else installed (SQLite under ``var/``, in-process tasks, local-memory cache).
A bad value fails loudly at start-up rather than half-working.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as e:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from e


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent
# Everything the platform writes (database, secret, uploads) lives under var/.
# In a checkout that is <repo>/var wherever the command runs from; an installed package uses ./var.
_CHECKOUT = PACKAGE_DIR.parents[1]
_DEFAULT_VAR = _CHECKOUT / "var" if (_CHECKOUT / "manage.py").exists() else Path.cwd() / "var"
VAR_DIR = Path(env("SHEQU_VAR_DIR", str(_DEFAULT_VAR))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The secret from the environment, else one generated once and kept under var/."""
    if value := os.environ.get("SHEQU_SECRET_KEY"):
        return value
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("SHEQU_DEBUG", False)
ALLOWED_HOSTS = envlist("SHEQU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("SHEQU_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves Swagger UI from its own static files instead of a CDN
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "shequ.core",
    "shequ.geo",
    "shequ.access",
    "shequ.audit",
    "shequ.registry",
    "shequ.events",
    "shequ.collection",
    "shequ.alerts",
    "shequ.notices",
    "shequ.open311",
    "shequ.workbench",
    "shequ.portal",
    "shequ.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (htmx, Leaflet ...) come from the platform itself, in development and production alike.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shequ.audit.middleware.RequestContext",  # audit entries written deep in domain code know the request
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "shequ.urls"
WSGI_APPLICATION = "shequ.wsgi.application"

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
                "shequ.core.context_processors.platform",
                "shequ.alerts.context_processors.alert_banner",
            ],
        },
    },
]

# SQLite in WAL mode is the embedded default; DATABASE_URL switches to PostgreSQL.
_DEFAULT_DB = f"sqlite:///{VAR_DIR / 'shequ.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(env("DATABASE_URL", _DEFAULT_DB), conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing.
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "access.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# The UI speaks Chinese whatever the browser asks for (no LocaleMiddleware); code and message ids
# are English, translated through gettext catalogues kept per app.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Each app keeps its own catalogue in <app>/locale; this one holds the project-level modules' (api.py).
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # collectstatic's target; WhiteNoise warns on every request if it is missing
# Without collectstatic (the embedded default) WhiteNoise serves straight from the apps' static/ folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("SHEQU_MEDIA_ROOT", str(VAR_DIR / "media")))

# In-process tasks by default; SHEQU_TASKS=database runs them in `manage.py db_worker` processes.
_TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
_tasks = env("SHEQU_TASKS", "immediate")
if _tasks not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"SHEQU_TASKS must be one of {sorted(_TASK_BACKENDS)}, got {_tasks!r}")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[_tasks]}}

# Local memory by default; REDIS_URL shares the cache (and the geo index version) across processes.
if redis_url := os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_COOKIE_AGE = envint("SHEQU_SESSION_SECONDS", 8 * 3600)
SESSION_COOKIE_SECURE = envbool("SHEQU_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"shequ": {"handlers": ["console"], "level": env("SHEQU_LOG_LEVEL", "INFO")}},
}

# --- shequ's own settings -------------------------------------------------------------

# The deployment's district (GB/T 2260 code); event codes start with it.
SHEQU_DISTRICT_CODE = env("SHEQU_DISTRICT_CODE", "440304")
# Map tiles: empty means a plain background with the grid polygons (works on an intranet).
SHEQU_TILE_URL = env("SHEQU_TILE_URL", "")
SHEQU_TILE_ATTRIBUTION = env("SHEQU_TILE_ATTRIBUTION", "")
# Working hours of a working day, as "HH:MM-HH:MM" periods.
SHEQU_WORK_PERIODS = envlist("SHEQU_WORK_PERIODS", "09:00-12:00,14:00-18:00")
# For years chinese-calendar does not know yet: weekends off plus these MM-DD holidays.
SHEQU_FALLBACK_HOLIDAYS = envlist("SHEQU_FALLBACK_HOLIDAYS", "01-01,05-01,10-01,10-02,10-03")
# How often the in-process scheduler runs periodic tasks (deadlines, supervision).
SHEQU_TICK_SECONDS = envint("SHEQU_TICK_SECONDS", 60)
# Photos: accepted types and the largest size.
SHEQU_PHOTO_TYPES = envlist("SHEQU_PHOTO_TYPES", "image/jpeg,image/png,image/webp")
SHEQU_PHOTO_MAX_BYTES = envint("SHEQU_PHOTO_MAX_BYTES", 10 * 1024 * 1024)
# A rating at or below this lets the reporter reopen the event.
SHEQU_REOPEN_MAX_SCORE = envint("SHEQU_REOPEN_MAX_SCORE", 2)
# Ledger imports: uploads are kept here (never served) until applied; files up to SHEQU_IMPORT_INLINE_ROWS rows
# import within the request, larger ones in the background with a progress bar.
SHEQU_IMPORT_DIR = Path(env("SHEQU_IMPORT_DIR", str(VAR_DIR / "imports")))
SHEQU_IMPORT_MAX_BYTES = envint("SHEQU_IMPORT_MAX_BYTES", 100 * 1024 * 1024)
SHEQU_IMPORT_INLINE_ROWS = envint("SHEQU_IMPORT_INLINE_ROWS", 2000)
# Alert delivery. SMS and voice calls go to a provider-agnostic HTTP gateway (POST JSON signed with HMAC-SHA256 in
# a header); with no URL they are recorded in the outbox instead of sent. SHEQU_PUBLIC_URL prefixes the
# acknowledgement links in messages.
SHEQU_SMS_URL = env("SHEQU_SMS_URL", "")
SHEQU_SMS_KEY = env("SHEQU_SMS_KEY", "")
SHEQU_SMS_TIMEOUT = envint("SHEQU_SMS_TIMEOUT", 10)
SHEQU_PUBLIC_URL = env("SHEQU_PUBLIC_URL", "")
SHEQU_ALERT_MAX_ATTEMPTS = envint("SHEQU_ALERT_MAX_ATTEMPTS", 5)
SHEQU_ALERT_RETRY_SECONDS = envint("SHEQU_ALERT_RETRY_SECONDS", 30)
SHEQU_ALERT_CLAIM_SECONDS = envint("SHEQU_ALERT_CLAIM_SECONDS", 600)
# Vulnerable residents (these tags) who have not acknowledged an alert after this long go on their grid worker's
# call-or-visit list.
SHEQU_ALERT_FOLLOWUP_MINUTES = envint("SHEQU_ALERT_FOLLOWUP_MINUTES", 30)
SHEQU_ALERT_VULNERABLE_TAGS = envlist("SHEQU_ALERT_VULNERABLE_TAGS", "elderly_alone,empty_nest,disabled")
SHEQU_NOTICE_ATTACHMENT_MAX_BYTES = envint("SHEQU_NOTICE_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
# How long a confirmed or changed value stays fresh (not asked again by collection tasks), in days.
SHEQU_COLLECTION_FRESH_DAYS = envint("SHEQU_COLLECTION_FRESH_DAYS", 180)
