"""Background work of webhooks (django-tasks: in-process by default, ``db_worker`` processes in production)."""

from __future__ import annotations

from django.core.cache import cache
from django_tasks import task

from . import outbox, sending


@task()
def send_webhooks() -> int:
    """Send the deliveries that are due (new ones after commit, retries after back-off). Safe to run any time."""
    cache.delete(outbox.QUEUED_FLAG)  # from now on a new commit queues another run
    return sending.send_due()
