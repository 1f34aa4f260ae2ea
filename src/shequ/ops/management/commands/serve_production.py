"""One command for production: gunicorn's web processes, the task workers and the scheduler, kept running.

    python manage.py serve_production --bind 0.0.0.0:8000 --web-workers 4 --task-workers 2

Needs PostgreSQL (``DATABASE_URL``); Redis (``REDIS_URL``) shares the cache. The children run with
``SHEQU_TASKS=database`` and ``PROMETHEUS_MULTIPROC_DIR`` under var/. A child that dies (a worker killed) is started
again after a short back-off; SIGTERM or Ctrl-C stops them all. See docs/operations.md.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection


def requeue_orphans(worker_ids: list[str]) -> int:
    """Tasks left RUNNING by a worker that died (SIGKILL, a crash) go back to READY, to run once more.

    django-tasks' database worker never looks at them again otherwise. Our tasks are idempotent (the fan-out makes
    each delivery once, imports are all or nothing), so running one again completes the work once."""
    from django_tasks_db.models import DBTaskResult

    requeued = 0
    for worker_id in worker_ids:
        running = DBTaskResult.objects.filter(status="RUNNING", worker_ids__contains=[worker_id])
        requeued += running.update(status="READY", started_at=None)
    return requeued


@dataclass
class Child:
    name: str
    argv: list[str]
    worker_id: str = ""
    process: subprocess.Popen | None = None
    restarts: int = 0
    due: float = 0.0  # when to start it again after it died
    started: float = field(default=0.0)


class Command(BaseCommand):
    help = "Serve shequ in production: gunicorn web processes, task workers and the scheduler (docs/operations.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("SHEQU_BIND", "127.0.0.1:8000"))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("SHEQU_WEB_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("SHEQU_WEB_THREADS", "8")))
        parser.add_argument("--task-workers", type=int, default=int(os.environ.get("SHEQU_TASK_WORKERS", "2")))
        parser.add_argument("--no-scheduler", action="store_true", help="another machine runs the one scheduler")
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("serve_production needs PostgreSQL: set DATABASE_URL (docs/operations.md)")
        if not os.environ.get("REDIS_URL"):
            self.stderr.write("REDIS_URL is not set: each process keeps its own cache (counts may lag between them).")
        metrics_dir = settings.VAR_DIR / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)  # the last run's dead processes must not count
        metrics_dir.mkdir(parents=True)
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "shequ.settings",
            "SHEQU_TASKS": "database",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "SHEQU_BIND": options["bind"],
            "SHEQU_WEB_WORKERS": str(options["web_workers"]),
            "SHEQU_WEB_THREADS": str(options["threads"]),
        }
        manage = [sys.executable, "-m", "shequ"]
        children = [Child("web", [sys.executable, "-m", "gunicorn", "-c", "python:shequ.ops.gunicorn_conf"])]
        ids = [f"{os.uname().nodename}-{i}" for i in range(1, options["task_workers"] + 1)]
        children += [Child(f"worker-{i}", [*manage, "db_worker", "--worker-id", w], w) for i, w in enumerate(ids, 1)]
        if requeued := requeue_orphans(ids):  # this machine's workers of a run that ended without stopping them
            self.stderr.write(f"serve_production: {requeued} task(s) left running by the last run queued again")
        if not options["no_scheduler"]:
            children.append(Child("scheduler", [*manage, "scheduler"]))
        self._supervise(children, env)

    def _supervise(self, children: list[Child], env: dict[str, str]) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        for child in children:
            self._start(child, env)
        while not stopping:
            now = time.monotonic()
            for child in children:
                if child.process is not None and child.process.poll() is not None:
                    code = child.process.returncode
                    # Quick deaths back off (1, 2, 4 ... 30 s); one that ran a minute starts again at once.
                    child.restarts = 0 if now - child.started > 60 else child.restarts + 1
                    child.due = now + min(2**child.restarts / 2, 30) if child.restarts else now
                    self.stderr.write(f"serve_production: {child.name} exited ({code}); starting it again")
                    child.process = None
                    if child.worker_id and (requeued := requeue_orphans([child.worker_id])):
                        self.stderr.write(f"serve_production: {requeued} task(s) it was running queued again")
                if child.process is None and now >= child.due:
                    self._start(child, env)
            time.sleep(0.2)
        self.stdout.write("serve_production: stopping")
        for child in children:
            if child.process is not None and child.process.poll() is None:
                child.process.terminate()
        deadline = time.monotonic() + 15
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()

    def _start(self, child: Child, env: dict[str, str]) -> None:
        child.process = subprocess.Popen(child.argv, env=env)
        child.started = time.monotonic()
        self.stdout.write(f"serve_production: {child.name} started (pid {child.process.pid})")
        self.stdout.flush()
