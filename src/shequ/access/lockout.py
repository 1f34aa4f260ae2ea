"""Lockout and back-off after repeated failed sign-ins, on django-axes.

Axes counts failures per user name (and per user name + IP) and refuses a locked name before any password is
checked. What it lacks is back-off; we add it here: each lockout of a name within ``SHEQU_LOCKOUT_MEMORY_HOURS``
doubles the next one (15 min, 30 min, 1 h ... up to ``SHEQU_LOCKOUT_MAX_MINUTES``). The count comes from axes' own
failure log (the failure that locked is flagged ``locked_out``), so no model of ours is needed. Times are axes'
real time (``timezone.now``), not ``shequ.core.clock``: axes compares them with its own.

Axes' settings point here: ``AXES_COOLOFF_TIME`` is :func:`cool_off`, the first authentication backend is
:class:`LockoutBackend`. This module is imported by every ``authenticate()`` (Django loads the backends then),
before any lockout can happen, so the ``user_locked_out`` receiver below is always connected in time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog
from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

USERNAME_ATTRIBUTE = "shequ_login_username"


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check, also for callers that pass no request.

    Django's test client (``client.login``) and scripts call ``authenticate()`` without a request, which axes
    refuses outright; with a blank request instead, a locked user name stays locked for them too (their failures
    are not counted: there is no client to count them against)."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        request = request if request is not None else HttpRequest()
        setattr(request, USERNAME_ATTRIBUTE, username)  # cool_off() needs the name; axes passes it only the request
        return super().authenticate(request, username, password, **kwargs)


def backoff(lockouts: int) -> timedelta:
    """The cool-off after the ``lockouts``-th lockout in the memory window (0: the window failures count in)."""
    base = settings.SHEQU_LOCKOUT_MINUTES
    minutes = base * 2 ** max(lockouts - 1, 0)
    return timedelta(minutes=min(minutes, settings.SHEQU_LOCKOUT_MAX_MINUTES))


def recent_lockouts(username: str | None) -> int:
    """How many times this user name was locked out within the memory window."""
    if not username:
        return 0
    since = timezone.now() - timedelta(hours=settings.SHEQU_LOCKOUT_MEMORY_HOURS)
    return AccessFailureLog.objects.filter(username=username, locked_out=True, attempt_time__gte=since).count()


def username_of(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    name = getattr(request, USERNAME_ATTRIBUTE, None)
    if name:
        return name
    credentials = getattr(request, "axes_credentials", None) or {}
    return credentials.get("username") or request.POST.get("username")


def cool_off(request: HttpRequest | None) -> timedelta:
    """``AXES_COOLOFF_TIME``: how long the name in this request stays locked (and how far back failures count)."""
    return backoff(recent_lockouts(username_of(request)))


def locked_until(username: str) -> Any:
    """When the name's current lockout ends (None when it is not locked)."""
    latest = AccessAttemptExpiration.objects.filter(access_attempt__username=username).order_by("-expires_at").first()
    return latest.expires_at if latest else None


@receiver(user_locked_out, dispatch_uid="shequ_lockout")
def on_lockout(sender: Any, request: HttpRequest, username: str | None = None, **kwargs: Any) -> None:
    """A name has just been locked: lengthen its lockout by the back-off and leave an audit entry.

    Axes sends this signal again for each attempt during a lockout; only the first one (the failure that reached
    the limit) carries a failure count."""
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    # Axes writes the failure log row of this lockout after the signal: count it in ourselves.
    lockouts = recent_lockouts(username) + 1
    duration = backoff(lockouts)
    until = timezone.now() + duration
    for attempt in AccessAttempt.objects.filter(username=username):
        AccessAttemptExpiration.objects.update_or_create(access_attempt=attempt, defaults={"expires_at": until})
    from shequ import audit  # audit depends on access: import at call time
    from shequ.access.models import User

    user = User.objects.filter(username=username).first() if username else None
    audit.record(
        "lockout",
        actor=user,
        request=request,
        detail={"username": username or "", "lockouts": lockouts, "minutes": int(duration.total_seconds() // 60)},
    )
