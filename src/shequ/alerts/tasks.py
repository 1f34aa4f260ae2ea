"""Background work of alert delivery (django-tasks: in-process by default, ``db_worker`` processes in production)."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from . import fanout, live, sending
from .models import Alert


@task()
def fan_out_alert(alert_id: int) -> int:
    """Make the deliveries of one approved alert, then send what is due. Idempotent."""
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        return 0
    created = fanout.fan_out(alert)
    send_deliveries.enqueue()
    return created


@task()
def send_deliveries() -> int:
    """Finish any fan-out that was lost, then send due deliveries (periodic: safe to run any time)."""
    for alert in fanout.alerts_to_fan_out():
        fanout.fan_out(alert)
    return sending.send_due()


def enqueue_fan_out(alert: Alert) -> None:
    """After the approving transaction commits: a worker must never see an alert that was rolled back."""
    alert_id = alert.pk
    transaction.on_commit(lambda: fan_out_alert.enqueue(alert_id))
    live.nudge()  # staff pages hear of the approval at once, in every process
