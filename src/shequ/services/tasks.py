"""Background work of resident services (django-tasks; enqueued by ``core.scheduler`` every tick)."""

from django_tasks import task

from .affairs import actions as affairs
from .care import actions as care


@task()
def sweep_services() -> dict[str, int]:
    """Applications past their time limit become overdue; missed care visits overdue, then escalated. Idempotent."""
    overdue, escalated = care.mark_missed()
    return {"applications": affairs.mark_overdue(), "visits_overdue": overdue, "visits_escalated": escalated}
