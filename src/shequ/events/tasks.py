"""Background work of the event loop (django-tasks: in-process by default, workers in production)."""

from django_tasks import task

from . import actions


@task()
def sweep_deadlines() -> int:
    """Mark events past their deadline as overdue and supervised; safe to run any time."""
    return actions.mark_overdue()
