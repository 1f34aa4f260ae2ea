"""Background work of the devices (django-tasks; enqueued every tick by core.scheduler). Each is idempotent."""

from __future__ import annotations

from django_tasks import task

from . import health, retention, sweep


@task()
def sweep_devices() -> int:
    """Silent devices go offline (with a maintenance task); the elderly rules look for meters and sensors at rest."""
    return health.mark_offline() + sweep.check_rules()


@task()
def delete_expired_personal_data() -> int:
    """Access-door and plate messages past SHEQU_DEVICE_RETENTION_DAYS, deleted, the deletion on the audit trail."""
    return retention.purge()
