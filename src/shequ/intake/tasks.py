"""Training in the background (django-tasks): "train now" from the versions page, and the weekly training the
scheduler asks for. Both go through ``versions.execute_run``, which activates a version only if it is not worse on
the held-back set, and writes the run's progress to its row (the page polls it).

With the in-process default backend (``ImmediateBackend`` would train inside the request) a run started from the
page goes to a thread of the web process after commit, as registry imports do; with ``SHEQU_TASKS=database`` it is
enqueued after commit and a ``db_worker`` trains.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.core.cache import cache
from django.db import close_old_connections, connection, transaction
from django.utils.translation import gettext as _
from django_tasks import task
from django_tasks.backends.immediate import ImmediateBackend

from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidTransition, PermissionDenied

from . import versions
from .models import TrainingRun

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
# A run queued or running for longer than this is taken as dead (its process stopped): it no longer blocks a new one.
STALE = timedelta(hours=2)
_WEEKLY_CLAIM = "shequ:intake:weekly-training"


def may_train(user: User) -> bool:
    """Training and activating change the one model of the whole district: district administrators only (the same
    rule as ``versions.roll_back``)."""
    return bool(user.is_superuser or user.sees_everything)


def running() -> TrainingRun | None:
    since = clock.now() - STALE
    return (
        TrainingRun.objects.filter(
            state__in=(TrainingRun.State.QUEUED, TrainingRun.State.RUNNING), started_at__gte=since
        )
        .order_by("-started_at")
        .first()
    )


@task()
def run_training(run_id: int) -> int | None:
    """Train the queued run ``run_id``; returns the new version's number (None if the run is gone or not queued)."""
    claimed = TrainingRun.objects.filter(pk=run_id, state=TrainingRun.State.QUEUED).update(
        state=TrainingRun.State.RUNNING
    )
    if not claimed:  # another worker took it, or it was already done: idempotent
        return None
    run = versions.execute_run(TrainingRun.objects.get(pk=run_id))
    return run.version.number if run.version else None


def _on_thread(run_id: int) -> None:
    close_old_connections()
    try:
        run_training.call(run_id)
    except Exception:  # the failure is on the run's row; a thread has no one else to tell
        log.exception("intake training run %s failed", run_id)
    finally:
        connection.close()


def _start_after_commit(run: TrainingRun) -> None:
    if isinstance(run_training.get_backend(), ImmediateBackend):
        transaction.on_commit(
            lambda: threading.Thread(
                target=_on_thread, args=(run.pk,), name=f"intake-train-{run.pk}", daemon=True
            ).start()
        )
    else:
        transaction.on_commit(lambda: run_training.enqueue(run.pk))


@transaction.atomic
def start_training(*, by: User) -> TrainingRun:
    """ "Train now": one queued run, trained in the background; refused while another one is under way."""
    if not may_train(by):
        raise PermissionDenied(_("Only district administrators may train the intake model."))
    if running() is not None:
        raise InvalidTransition(_("A training run is already under way."), code="training_running")
    run = versions.start_run(by=by)
    _start_after_commit(run)
    return run


@task()
def weekly_training() -> int | None:
    """The scheduler's entry (every tick; trains at most once a week): when no run started in the last seven days,
    train one here and activate it only if it is not worse. Returns the new version's number, else None."""
    now = clock.now()
    if TrainingRun.objects.filter(started_at__gte=now - WEEK).exists():
        return None
    # Several schedulers (or a retried tick) must not train twice: the first to add the key trains.
    if not cache.add(_WEEKLY_CLAIM, now.isoformat(), timeout=int(STALE.total_seconds())):
        return None
    try:
        run = versions.start_run(by=None)
        return run_training.call(run.pk)
    finally:
        cache.delete(_WEEKLY_CLAIM)
