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

from shequ.core.keyfiles import read_or_create  # standard library only


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
    # Written privately and linked into place: processes starting together (test passes, web workers) share one.
    return read_or_create(VAR_DIR / "secret_key", lambda: secrets.token_urlsafe(50).encode()).decode().strip()


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
    "axes",  # failed sign-ins and lockouts (docs/authentication.md)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # recovery codes
    "shequ.core",
    "shequ.geo",
    "shequ.access",
    "shequ.sso",
    "oauth2_provider",  # after shequ.sso, whose Chinese consent page overrides the toolkit's template
    "shequ.audit",
    "shequ.registry",
    "shequ.stats",
    "shequ.events",
    "shequ.collection",
    "shequ.alerts",
    "shequ.notices",
    "shequ.services",
    "shequ.assessment",
    "shequ.community",
    "shequ.devices",
    "shequ.open311",
    "shequ.webhooks",  # subscriptions of other systems to the event loop (docs/webhooks.md)
    "shequ.ops",  # health, metrics, the production server, backup and restore (docs/operations.md)
    "shequ.intake",
    "shequ.workbench",
    "shequ.portal",
    "shequ.demo",
]

MIDDLEWARE = [
    "shequ.ops.metrics.RequestMetrics",  # first: requests and latency by route, every other layer included
    "django.middleware.security.SecurityMiddleware",
    "shequ.core.middleware.RejectNul",
    "csp.middleware.CSPMiddleware",
    # Static files (htmx, Leaflet ...) come from the platform itself, in development and production alike.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the session passed the second factor
    "shequ.access.middleware.ActingGrant",  # the grant chosen in the top bar, applied to request.user in memory
    "shequ.audit.middleware.RequestContext",  # audit entries written deep in domain code know the request
    "django.contrib.messages.middleware.MessageMiddleware",
    "shequ.access.auth_middleware.IdleSession",  # idle and absolute session expiry (after messages: it says why)
    "shequ.access.auth_middleware.TwoFactorRequired",  # unverified staff sessions go to enrol or verify
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks: turns a lockout into the lockout page
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
# Password policy (docs/authentication.md): checked when a person picks a password, not for ones set in code.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "shequ.access.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "shequ.access.passwords.ChineseCommonPasswordValidator"},
    {"NAME": "shequ.access.passwords.UsernameNotInPasswordValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["username", "name", "phone", "email"]},
    },
]
# Lockout first: a locked user name is refused before its password is checked.
AUTHENTICATION_BACKENDS = [
    "shequ.access.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
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
# Uploads never half-written: a full disk removes the partial file and answers 507 (core/storage.py).
STORAGES = {
    "default": {"BACKEND": "shequ.core.storage.SafeFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

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
    # Fails soft (core/cache.py): with Redis down a read is a miss and a write is skipped, after at most a short
    # timeout, so the platform keeps serving, slower.
    CACHES = {
        "default": {
            "BACKEND": "shequ.core.cache.ResilientRedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions end after SHEQU_SESSION_IDLE_SECONDS without a request, and SHEQU_SESSION_SECONDS after sign-in at the
# latest (access/auth_middleware.py).
SESSION_COOKIE_AGE = envint("SHEQU_SESSION_SECONDS", 8 * 3600)
SHEQU_SESSION_IDLE_SECONDS = envint("SHEQU_SESSION_IDLE_SECONDS", 1800)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# SHEQU_HTTPS=true behind HTTPS (a proxy terminating TLS must set X-Forwarded-Proto): Secure cookies, HSTS, HTTP
# redirected. Off by default because the embedded demo is plain HTTP on localhost, where Secure cookies are never
# sent back and HSTS would pin the browser to an HTTPS port that does not exist.
SHEQU_HTTPS = envbool("SHEQU_HTTPS", envbool("SHEQU_SECURE_COOKIES", False))
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SHEQU_HTTPS
if SHEQU_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SHEQU_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SHEQU_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SHEQU_HSTS_SUBDOMAINS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Lockout (django-axes, access/lockout.py): SHEQU_LOCKOUT_FAILURES wrong passwords for a user name (from any
# address; also counted per name and address) lock it for SHEQU_LOCKOUT_MINUTES, doubled for each further lockout
# within SHEQU_LOCKOUT_MEMORY_HOURS, up to SHEQU_LOCKOUT_MAX_MINUTES. Admins unlock in the admin (访问尝试).
SHEQU_LOCKOUT_FAILURES = envint("SHEQU_LOCKOUT_FAILURES", 5)
SHEQU_LOCKOUT_MINUTES = envint("SHEQU_LOCKOUT_MINUTES", 15)
SHEQU_LOCKOUT_MAX_MINUTES = envint("SHEQU_LOCKOUT_MAX_MINUTES", 24 * 60)
SHEQU_LOCKOUT_MEMORY_HOURS = envint("SHEQU_LOCKOUT_MEMORY_HOURS", 24)
AXES_FAILURE_LIMIT = SHEQU_LOCKOUT_FAILURES
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_COOLOFF_TIME = "shequ.access.lockout.cool_off"
AXES_USE_ATTEMPT_EXPIRATION = True  # each name's lockout ends at its own time (the back-off differs per name)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # tries during a lockout neither count nor extend it
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the back-off counts earlier lockouts here
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "shequ.access.auth_views.locked_out"
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)  # like the audit trail: forwarded headers are the client's

# Two-factor sign-in (TOTP, django-otp): "required" for staff roles, or "optional" (staff and residents may enrol).
SHEQU_2FA = env("SHEQU_2FA", "required")
if SHEQU_2FA not in {"required", "optional"}:
    raise ImproperlyConfigured(f"SHEQU_2FA must be 'required' or 'optional', got {SHEQU_2FA!r}")
OTP_TOTP_ISSUER = env("SHEQU_OTP_ISSUER", "shequ")

# Content security policy (django-csp): scripts and style elements only from here or with the page's nonce.
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE  # noqa: E402


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL template; a "{s}" subdomain becomes "*" (tile servers)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "sub"))
    host = parts.netloc.replace("sub.", "*.", 1) if "{s}." in url else parts.netloc
    return f"{parts.scheme}://{host}" if parts.scheme and host else ""


_tile_origin = _origin(env("SHEQU_TILE_URL", ""))
_oidc_origin = _origin(env("SHEQU_OIDC_AUTHORIZATION_ENDPOINT", "") or env("SHEQU_OIDC_ISSUER", ""))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # style="width: 40%" attributes (progress bars, legends) stay allowed; <style> elements need the nonce.
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *([_tile_origin] if _tile_origin else [])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF, *([_oidc_origin] if _oidc_origin else [])],
    }
}

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
# Live push (docs/alerts.md "Live push"). Server-sent events: an open page's stream polls the database this often
# (seconds), sends a heartbeat comment after this much silence, and ends after this long (the browser reconnects).
SHEQU_ALERT_STREAM_POLL = envint("SHEQU_ALERT_STREAM_POLL", 2)
SHEQU_ALERT_STREAM_HEARTBEAT = envint("SHEQU_ALERT_STREAM_HEARTBEAT", 15)
SHEQU_ALERT_STREAM_SECONDS = envint("SHEQU_ALERT_STREAM_SECONDS", 300)
# Web Push: the VAPID private key (a PEM file's path, or the key itself as PEM or base64url); empty: one generated
# once under var/vapid_private.pem (mode 0600). The subject is a mailto: or https: contact for push services.
SHEQU_VAPID_PRIVATE_KEY = env("SHEQU_VAPID_PRIVATE_KEY", "")
SHEQU_VAPID_SUBJECT = env("SHEQU_VAPID_SUBJECT", "")
SHEQU_WEBPUSH_TIMEOUT = envint("SHEQU_WEBPUSH_TIMEOUT", 10)
# Hosts (and their subdomains) a browser's push endpoint may be on; "*": any https host.
SHEQU_WEBPUSH_HOSTS = envlist(
    "SHEQU_WEBPUSH_HOSTS", "fcm.googleapis.com,push.services.mozilla.com,notify.windows.com,push.apple.com"
)
SHEQU_NOTICE_ATTACHMENT_MAX_BYTES = envint("SHEQU_NOTICE_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
# How long a confirmed or changed value stays fresh (not asked again by collection tasks), in days.
SHEQU_COLLECTION_FRESH_DAYS = envint("SHEQU_COLLECTION_FRESH_DAYS", 180)
# Encryption at rest of L4 values (docs/encryption.md): "sm4-gcm" or "aes-256-gcm". Keys "id:base64,id:base64"
# (the first encrypts / indexes) from the environment, else from the key file (generated once, mode 0600).
SHEQU_CIPHER = env("SHEQU_CIPHER", "sm4-gcm")
SHEQU_DATA_KEYS = env("SHEQU_DATA_KEYS", "")
SHEQU_INDEX_KEYS = env("SHEQU_INDEX_KEYS", "")
SHEQU_DATA_KEY_FILE = Path(env("SHEQU_DATA_KEY_FILE", str(VAR_DIR / "data_keys")))
# Single sign-on (docs/sso.md). shequ as an OpenID Connect provider under /o/: ID tokens signed RS256 with the key
# in SHEQU_OIDC_PRIVATE_KEY_FILE, else one generated once under var/ (mode 0600); never in the database.
from shequ.sso.keys import oidc_private_key  # noqa: E402  (standard library and cryptography only)

OAUTH2_PROVIDER_APPLICATION_MODEL = "sso.Client"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": oidc_private_key(env("SHEQU_OIDC_PRIVATE_KEY_FILE", ""), VAR_DIR),
    # Behind a proxy the issuer must not depend on the Host header; without a public URL it follows the request.
    "OIDC_ISS_ENDPOINT": f"{SHEQU_PUBLIC_URL.rstrip('/')}/o" if SHEQU_PUBLIC_URL else "",
    "OAUTH2_VALIDATOR_CLASS": "shequ.sso.provider.Validator",
    "SCOPES_BACKEND_CLASS": "shequ.sso.provider.Scopes",
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "REQUEST_APPROVAL_PROMPT": "auto",  # ask again only when an app wants more than the user already granted
    "ACCESS_TOKEN_EXPIRE_SECONDS": envint("SHEQU_OIDC_TOKEN_SECONDS", 3600),
    "ID_TOKEN_EXPIRE_SECONDS": envint("SHEQU_OIDC_TOKEN_SECONDS", 3600),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,  # S256 only
}
# shequ as a client of the city's identity provider: on only when issuer, client ID and secret are all set.
# Endpoints come from the issuer's discovery document unless given here.
SHEQU_OIDC_ISSUER = env("SHEQU_OIDC_ISSUER", "")
SHEQU_OIDC_CLIENT_ID = env("SHEQU_OIDC_CLIENT_ID", "")
SHEQU_OIDC_CLIENT_SECRET = env("SHEQU_OIDC_CLIENT_SECRET", "")
SHEQU_OIDC_SCOPES = env("SHEQU_OIDC_SCOPES", "openid profile")
SHEQU_OIDC_AUTHORIZATION_ENDPOINT = env("SHEQU_OIDC_AUTHORIZATION_ENDPOINT", "")
SHEQU_OIDC_TOKEN_ENDPOINT = env("SHEQU_OIDC_TOKEN_ENDPOINT", "")
SHEQU_OIDC_USERINFO_ENDPOINT = env("SHEQU_OIDC_USERINFO_ENDPOINT", "")
SHEQU_OIDC_JWKS_ENDPOINT = env("SHEQU_OIDC_JWKS_ENDPOINT", "")
SHEQU_OIDC_DISCOVERY_SECONDS = envint("SHEQU_OIDC_DISCOVERY_SECONDS", 3600)
SHEQU_OIDC_TIMEOUT = envint("SHEQU_OIDC_TIMEOUT", 10)
# A city identity is linked, at its first sign-in, to the active account whose field matches this claim
# (preferred_username -> username, phone_number -> phone, email -> email); never to a new account.
SHEQU_OIDC_LINK_CLAIM = env("SHEQU_OIDC_LINK_CLAIM", "preferred_username")
# True: the city provider's own MFA counts as shequ's second factor for sessions signed in through it.
SHEQU_OIDC_TRUST_MFA = envbool("SHEQU_OIDC_TRUST_MFA", False)
# Statistics for departments (docs/stats.md): how long cells released to a department are remembered (answers stay
# the same, and differencing checks look back this far), and membership checks per department per hour.
SHEQU_STATS_WINDOW_DAYS = envint("SHEQU_STATS_WINDOW_DAYS", 30)
SHEQU_STATS_MEMBERSHIP_PER_HOUR = envint("SHEQU_STATS_MEMBERSHIP_PER_HOUR", 200)

# --- resident services (docs/services.md) ---------------------------------------------------------------------------
# Largest file attached to an application (PDF, JPEG, PNG; the type is read from the file's bytes).
SHEQU_SERVICES_ATTACHMENT_MAX_BYTES = envint("SHEQU_SERVICES_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# The key of certificates' verification codes (HMAC-SHA256), base64 or hex; empty: one generated once under
# var/certificate_key (mode 0600). Never in the database: with the key, anyone could mint a valid code.
SHEQU_CERTIFICATE_KEY = env("SHEQU_CERTIFICATE_KEY", "")
# A TrueType/OpenType font (.ttf, .otf or .ttc) with Chinese glyphs, embedded in certificates; empty: the first of
# the platform's usual CJK fonts that exists (WenQuanYi, Noto CJK), else the PDF's built-in STSong-Light.
SHEQU_CERTIFICATE_FONT = env("SHEQU_CERTIFICATE_FONT", "")
# Tags that put a person on the care needs list.
SHEQU_CARE_TAGS = envlist("SHEQU_CARE_TAGS", "elderly_alone,empty_nest,disabled,bedridden,low_income,left_behind_child")
# Working days after a missed visit's due date before it goes to the community as well as the grid worker.
SHEQU_CARE_ESCALATE_DAYS = envint("SHEQU_CARE_ESCALATE_DAYS", 3)

# Intelligent intake (docs/intelligence.md): duplicate windows per category group, "<group>": [metres, hours];
# "default" for the others. JSON in SHEQU_INTAKE_DUPLICATE_WINDOWS replaces the whole table.
SHEQU_INTAKE_DUPLICATE_WINDOWS = __import__("json").loads(
    env("SHEQU_INTAKE_DUPLICATE_WINDOWS", '{"default": [200, 72], "04": [400, 24], "07": [50, 168], "08": [300, 24]}')
)
# --- assessment (docs/assessment.md) ---
# Working hours the desk has to accept an event (响应时限), for levels without their own row (admin: 响应时限).
SHEQU_RESPONSE_HOURS = float(env("SHEQU_RESPONSE_HOURS", "2"))
# When the rollups take in new timeline rows: "commit" (a fold task queued after each commit, at most one waiting)
# or "tick" (only the scheduler's tick folds: the least work on the event loop, figures up to a tick late).
SHEQU_ASSESSMENT_FOLD = env("SHEQU_ASSESSMENT_FOLD", "commit")
if SHEQU_ASSESSMENT_FOLD not in {"commit", "tick"}:
    raise ImproperlyConfigured(f"SHEQU_ASSESSMENT_FOLD must be 'commit' or 'tick', got {SHEQU_ASSESSMENT_FOLD!r}")
# The dashboards' targets for the three published rates (a scheme's own targets are set in the scheme).
SHEQU_ASSESSMENT_TARGETS = envlist(
    "SHEQU_ASSESSMENT_TARGETS", "response_rate:0.95,closure_rate:0.90,satisfaction_rate:0.90"
)
# The wall board's live stream: how many of the newest events it lists.
SHEQU_BOARD_EVENTS = envint("SHEQU_BOARD_EVENTS", 12)

# Community life (docs/community.md). The lowest balance of a resident's or household's time account (minutes)
# and points account; a community's pool has none (it issues what volunteers earn).
SHEQU_TIMEBANK_FLOOR_MINUTES = envint("SHEQU_TIMEBANK_FLOOR_MINUTES", 0)
SHEQU_POINTS_FLOOR = envint("SHEQU_POINTS_FLOOR", 0)
# Supports (附议) that put a proposal on the agenda; reports that hold a post or a listing for a moderator.
SHEQU_PROPOSAL_SUPPORT = envint("SHEQU_PROPOSAL_SUPPORT", 10)
SHEQU_MODERATION_HOLD_REPORTS = envint("SHEQU_MODERATION_HOLD_REPORTS", 3)
# Flea-market listings expire after this many days (the seller may renew).
SHEQU_LISTING_DAYS = envint("SHEQU_LISTING_DAYS", 30)
# A session's QR code checks in from this long before it starts until this long after it ends (minutes).
SHEQU_CHECKIN_MARGIN_MINUTES = envint("SHEQU_CHECKIN_MARGIN_MINUTES", 60)
# Getting around: bus stops within this distance of home (metres), at most this many.
SHEQU_STOPS_RADIUS_METRES = envint("SHEQU_STOPS_RADIUS_METRES", 800)
SHEQU_STOPS_NEAREST = envint("SHEQU_STOPS_NEAREST", 5)

# --- devices (docs/devices.md) ---------------------------------------------------------
# MQTT broker of the device wire ("mqtt://host:port"); empty: HTTP ingestion only, and the simulator posts over HTTP.
SHEQU_MQTT_URL = env("SHEQU_MQTT_URL", "")
# The listener's fixed client id (its persistent session at the broker) and the topic prefix it subscribes under.
SHEQU_MQTT_CLIENT_ID = env("SHEQU_MQTT_CLIENT_ID", "shequ-device-listener")
SHEQU_MQTT_TOPIC_PREFIX = env("SHEQU_MQTT_TOPIC_PREFIX", "shequ/devices")
# Access-door and plate messages (personal data, L3) are deleted after this many days.
SHEQU_DEVICE_RETENTION_DAYS = envint("SHEQU_DEVICE_RETENTION_DAYS", 30)
# Where the elderly rules' care tasks go: a dotted path to a callable (device=, rule=, text=) -> task.
SHEQU_DEVICE_CARE_TASKS = env("SHEQU_DEVICE_CARE_TASKS", "shequ.devices.worklist.care_task")

# --- production (docs/operations.md) ---
import ipaddress  # noqa: E402

# /metrics is readable from these addresses or networks (comma-separated, CIDR allowed; none by default) or with
# "Authorization: Bearer <SHEQU_METRICS_TOKEN>". Behind a proxy the address is the proxy's: use the token.
SHEQU_METRICS_ALLOW = envlist("SHEQU_METRICS_ALLOW", "")
try:
    SHEQU_METRICS_NETWORKS = [ipaddress.ip_network(a, strict=False) for a in SHEQU_METRICS_ALLOW]
except ValueError as e:
    raise ImproperlyConfigured(f"SHEQU_METRICS_ALLOW: {e}") from e
SHEQU_METRICS_TOKEN = env("SHEQU_METRICS_TOKEN", "")
# The figures /metrics reads from the database are read at most this often per process.
SHEQU_METRICS_DB_SECONDS = envint("SHEQU_METRICS_DB_SECONDS", 15)
# /readyz: a due task waiting longer than this for a worker makes the tasks "degraded"; less free space under var/
# than this many MB makes the disk "failed".
SHEQU_READY_TASK_LAG_SECONDS = envint("SHEQU_READY_TASK_LAG_SECONDS", 300)
SHEQU_READY_MIN_FREE_MB = envint("SHEQU_READY_MIN_FREE_MB", 200)
# A database that does not answer is an error after this many seconds, not a request that hangs.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", envint("SHEQU_DB_CONNECT_TIMEOUT", 5))
# Callables ``manage.py serve`` also starts in threads, each given url= (the demo: the device simulator).
SHEQU_SERVE_ALSO = envlist("SHEQU_SERVE_ALSO", "")
