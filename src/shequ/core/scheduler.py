"""A small clock for periodic tasks: every ``SHEQU_TICK_SECONDS`` it enqueues each
periodic task through django-tasks. In the embedded default it runs in a thread
of ``manage.py serve``; in production one ``manage.py scheduler`` process feeds
the database queue that the workers drain. The tasks are idempotent, so a tick
that runs twice does no harm."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

PERIODIC_TASKS = [
    "shequ.events.tasks.sweep_deadlines",
    "shequ.alerts.tasks.send_deliveries",
    "shequ.services.tasks.sweep_services",
    "shequ.assessment.tasks.fold_rollups",
    "shequ.assessment.tasks.send_monthly_reports",
    "shequ.community.tasks.sweep_community",
    # devices: health and the elderly rules; retention of access-door and plate messages
    "shequ.devices.tasks.sweep_devices",
    "shequ.devices.tasks.delete_expired_personal_data",
    # intake: trains once a week (a no-op on the other ticks), activates only a version not worse than the active one
    "shequ.intake.tasks.weekly_training",
    # registry: imports whose process died are ended as failed (they kept nothing)
    "shequ.registry.tasks.sweep_imports",
    # webhooks: retries after back-off, and sends that an after-commit enqueue lost (idempotent)
    "shequ.webhooks.tasks.send_webhooks",
]


def tick() -> None:
    for path in PERIODIC_TASKS:
        try:
            import_string(path).enqueue()
        except Exception:  # one failing task must not stop the others or the clock
            log.exception("periodic task %s failed", path)


def run(stop: threading.Event) -> None:
    log.info("scheduler: every %ss: %s", settings.SHEQU_TICK_SECONDS, ", ".join(PERIODIC_TASKS))
    while not stop.is_set():
        tick()
        # The clock's own thread holds its own connection: let it go between ticks, as a request would.
        close_old_connections()
        stop.wait(settings.SHEQU_TICK_SECONDS)


def start_in_thread() -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=run, args=(stop,), name="shequ-scheduler", daemon=True).start()
    return stop
