"""Background work of assessment (django-tasks): folding new timeline rows into the rollups, and the monthly report
on the first working day of each month. Both are idempotent; the scheduler enqueues them every tick."""

from django_tasks import task

from . import reports, rollups


@task()
def fold_rollups() -> int:
    """Fold queued events and new work rows into facts and rollups; safe to run any time, by several workers."""
    return rollups.fold()


@task()
def send_monthly_reports() -> int:
    """On the first working day of a month, last month's report to each subscribed area, once per area."""
    return reports.send_due()
