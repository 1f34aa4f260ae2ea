"""Real ``db_worker`` processes on the test database, started, killed and restarted as serve_production does.

Shared by the worker-kill tests (test_worker_killed.py, test_sending_killed.py); the fixtures ``pg`` and
``workers`` are in conftest.py."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.db import connection
from django_tasks_db.models import DBTaskResult

from shequ.alerts.models import Delivery, DeliveryStatus
from shequ.alerts.tasks import send_deliveries
from shequ.ops.management.commands.serve_production import requeue_orphans

WAIT = 90  # seconds: every wait of these tests ends by then (a failure, not a hang)


def dsn() -> str:
    db = connection.settings_dict
    return f"postgresql://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def wait(condition, what: str, seconds: float = WAIT) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


class Workers:
    """``db_worker`` processes as serve_production starts them; every one is killed when the test ends."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.started: list[subprocess.Popen] = []

    def start(self, worker_id: str) -> subprocess.Popen:
        argv = [sys.executable, "manage.py", "db_worker", "--worker-id", worker_id, "--no-startup-delay"]
        proc = subprocess.Popen(argv, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.started.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def close(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def task_status(task_id) -> str:
    return DBTaskResult.objects.get(pk=task_id).status


def restart(workers: Workers, task_id, worker_id: str) -> None:
    """What serve_production does when a worker dies: its tasks back to READY, a new worker."""
    assert task_status(task_id) == "RUNNING"  # left behind: django-tasks' worker never looks at it again by itself
    assert requeue_orphans([worker_id]) == 1
    workers.start(worker_id)
    wait(lambda: task_status(task_id) not in ("READY", "RUNNING"), "the task did not end after the restart")
    assert task_status(task_id) == "SUCCESSFUL"


def send_everything() -> None:
    """The scheduler's part: ``send_deliveries`` again (500 a run) until nothing is queued."""

    def drained() -> bool:
        if not Delivery.objects.filter(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING]).exists():
            return True
        pending = DBTaskResult.objects.filter(task_path__endswith="send_deliveries", status__in=["READY", "RUNNING"])
        if not pending.exists():
            send_deliveries.enqueue()
        return False

    wait(drained, "the deliveries were not all sent")
