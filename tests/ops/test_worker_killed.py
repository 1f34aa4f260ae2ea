"""A task worker killed with SIGKILL in the middle of a task: the production server queues the task again and,
after the restart, the work is done once (one overdue mark, one timeline row). Real worker processes on the
test database; the task is held mid-way by a row lock this test takes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from shequ.core import clock
from shequ.events import actions
from shequ.events.models import Channel, Event, TimelineEntry
from shequ.events.tasks import sweep_deadlines
from shequ.ops.management.commands.serve_production import requeue_orphans

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _worker(env: dict[str, str]) -> subprocess.Popen:
    argv = [sys.executable, "manage.py", "db_worker", "--worker-id", "killed-1", "--no-startup-delay"]
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_killed_workers_task_runs_again_and_the_work_is_done_once(world, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("task workers in their own processes need PostgreSQL (set DATABASE_URL)")
    lon, lat = world.point_in(world.g1)
    event = actions.report(
        by=world.resident, channel=Channel.RESIDENT, description="垃圾", category=world.litter, lon=lon, lat=lat
    )
    actions.accept(event, by=world.community_staff)
    actions.dispatch(event, by=world.community_staff)
    Event.objects.filter(pk=event.pk).update(deadline=clock.now() - timedelta(hours=1))
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    task_id = sweep_deadlines.enqueue().id

    db = connection.settings_dict
    dsn = f"postgresql://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": dsn, "SHEQU_TASKS": "database", "SHEQU_VAR_DIR": str(tmp_path / "var")}
    lock = psycopg.connect(dsn)  # holds the event's row: the sweep stops half-way, inside its transaction
    lock.execute("SELECT id FROM events_event WHERE id = %s FOR UPDATE", [event.pk])
    worker = _worker(env)
    try:

        def status() -> str:
            return DBTaskResult.objects.get(pk=task_id).status

        _wait(lambda: status() == "RUNNING", 60, "the worker did not start the task")
        time.sleep(0.5)  # it is now waiting on the lock, mid-task
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        lock.rollback()
        assert status() == "RUNNING"  # left behind: django-tasks' worker never looks at it again by itself
        assert requeue_orphans(["killed-1"]) == 1
        worker = _worker(env)
        _wait(lambda: status() == "SUCCESSFUL", 60, "the task did not complete after the restart")
    finally:
        lock.close()
        worker.kill()
        worker.wait(10)
    event.refresh_from_db()
    assert event.overdue
    assert TimelineEntry.objects.filter(event=event, action="overdue").count() == 1
