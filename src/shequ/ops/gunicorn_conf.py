"""gunicorn's settings under ``manage.py serve_production`` (docs/operations.md). Values come from the
environment the command sets; the hooks keep the multiprocess metrics right when a worker goes."""

from __future__ import annotations

import os
from typing import Any

wsgi_app = "shequ.wsgi:application"
bind = os.environ.get("SHEQU_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SHEQU_WEB_WORKERS", "2"))
# Threads, not one request per process: the live alert stream holds a connection open for minutes.
worker_class = "gthread"
threads = int(os.environ.get("SHEQU_WEB_THREADS", "8"))
keepalive = 5
timeout = 60
graceful_timeout = 10
accesslog = os.environ.get("SHEQU_ACCESS_LOG") or None
errorlog = "-"
proc_name = "shequ-web"


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
