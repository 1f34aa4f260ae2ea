"""The app's settings: ``settings.SHEQU_WEBHOOK_*`` when the settings module sets them, else the environment
variable of the same name, else the default here. A bad value fails loudly, as in ``shequ.settings``."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS: dict[str, int] = {
    # Tries of one delivery before it is dead (a replay gives it one more).
    "SHEQU_WEBHOOK_MAX_ATTEMPTS": 8,
    # The first wait after a failed try (seconds); each further failure doubles it, up to the cap.
    "SHEQU_WEBHOOK_RETRY_SECONDS": 60,
    "SHEQU_WEBHOOK_RETRY_CAP_SECONDS": 6 * 3600,
    # Failed tries in a row (over all of a subscription's deliveries) that pause it and tell its owner.
    "SHEQU_WEBHOOK_PAUSE_AFTER": 10,
    # One POST's connect-and-read timeout (seconds).
    "SHEQU_WEBHOOK_TIMEOUT": 5,
    # A claimed delivery whose worker died is due again after this long (seconds): sent again, same key.
    "SHEQU_WEBHOOK_CLAIM_SECONDS": 120,
}


def value(name: str) -> int:
    raw = getattr(settings, name) if hasattr(settings, name) else os.environ.get(name, DEFAULTS[name])
    try:
        number = int(raw)
    except (TypeError, ValueError) as e:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from e
    if number < (0 if name == "SHEQU_WEBHOOK_PAUSE_AFTER" else 1):
        raise ImproperlyConfigured(f"{name} must be positive, got {raw!r}")
    return number


def max_attempts() -> int:
    return value("SHEQU_WEBHOOK_MAX_ATTEMPTS")


def retry_seconds() -> int:
    return value("SHEQU_WEBHOOK_RETRY_SECONDS")


def retry_cap_seconds() -> int:
    return value("SHEQU_WEBHOOK_RETRY_CAP_SECONDS")


def pause_after() -> int:
    """0: never pause."""
    return value("SHEQU_WEBHOOK_PAUSE_AFTER")


def timeout() -> int:
    return value("SHEQU_WEBHOOK_TIMEOUT")


def claim_seconds() -> int:
    return value("SHEQU_WEBHOOK_CLAIM_SECONDS")
