"""Liveness and readiness: what a load balancer and an operator ask (docs/operations.md).

``ready()`` checks each part the platform needs and says, per part, ``ok``, ``degraded`` (serving, slower or
later: Redis down, tasks waiting long) or ``failed`` (not serving that part: no database, a full disk). The
platform is ready unless a part failed. Every check is bounded in time: a check that hangs is a check that failed.
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.db import connection
from django.db.models import Min
from django.utils.translation import gettext as _

from shequ.core import clock

OK, DEGRADED, FAILED = "ok", "degraded", "failed"


@dataclass(frozen=True)
class Check:
    status: str
    message: str
    ms: float = 0.0
    value: float | None = None  # the figure behind the status (seconds of lag, free megabytes)


def _database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return Check(OK, _("The database answers."))


def _cache() -> Check:
    from shequ.core import cache as shared

    key = "shequ:ops:ready"
    cache.set(key, "1", 30)
    resilient = isinstance(caches[DEFAULT_CACHE_ALIAS], shared.ResilientRedisCache)
    if (resilient and shared.down() is not None) or cache.get(key) != "1":
        return Check(DEGRADED, _("The shared cache (Redis) does not answer: serving without it, slower."))
    return Check(OK, _("The cache answers."))


def _broker() -> Check | None:
    url = getattr(settings, "SHEQU_MQTT_URL", "")
    if not url:
        return None  # no broker configured: HTTP ingestion only
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 1883), timeout=1.0):
            pass
    except OSError as e:
        return Check(
            DEGRADED, _("The MQTT broker does not answer (%(error)s): devices post over HTTP only.") % {"error": e}
        )
    return Check(OK, _("The MQTT broker answers."))


def task_lag() -> float | None:
    """Seconds the oldest due task has waited for a worker (0: none waiting), or None with in-process tasks."""
    if "django_tasks_db" not in settings.TASKS["default"]["BACKEND"]:
        return None
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = clock.now()
    waiting = DBTaskResult.objects.filter(status="READY")
    # A task without run_after is due from when it was enqueued (the backend stores the largest date then).
    due = [
        waiting.filter(run_after=get_date_max()).aggregate(at=Min("enqueued_at"))["at"],
        waiting.filter(run_after__lte=now).aggregate(at=Min("run_after"))["at"],
    ]
    oldest = min((at for at in due if at is not None), default=None)
    return max((now - oldest).total_seconds(), 0.0) if oldest else 0.0


def _tasks() -> Check | None:
    lag = task_lag()
    if lag is None:
        return None  # tasks run in the process that enqueues them: no queue to fall behind
    limit = settings.SHEQU_READY_TASK_LAG_SECONDS
    if lag > limit:
        return Check(
            DEGRADED,
            _("The oldest due task has waited %(lag)s s (more than %(limit)s s): start more workers.")
            % {"lag": int(lag), "limit": limit},
            value=lag,
        )
    return Check(OK, _("Task workers keep up."), value=lag)


def _disk() -> Check:
    free_mb = shutil.disk_usage(settings.VAR_DIR).free / 2**20
    if free_mb < settings.SHEQU_READY_MIN_FREE_MB:
        return Check(
            FAILED,
            _("Only %(free)s MB free under var/: uploads and imports are refused.") % {"free": int(free_mb)},
            value=free_mb,
        )
    return Check(OK, _("%(free)s MB free under var/.") % {"free": int(free_mb)}, value=free_mb)


CHECKS: dict[str, Callable[[], Check | None]] = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "tasks": _tasks,
    "disk": _disk,
}


def ready() -> tuple[str, dict[str, dict]]:
    """The overall status and each configured part's check."""
    parts: dict[str, dict] = {}
    for name, check in CHECKS.items():
        start = time.perf_counter()
        try:
            result = check()
        except Exception as e:  # a part that raises is a part that failed, never a 500
            result = Check(FAILED, _("%(part)s failed: %(error)s") % {"part": name, "error": type(e).__name__})
        if result is not None:
            parts[name] = asdict(result) | {"ms": round((time.perf_counter() - start) * 1000, 1)}
    statuses = {p["status"] for p in parts.values()}
    overall = FAILED if FAILED in statuses else DEGRADED if DEGRADED in statuses else OK
    return overall, parts
