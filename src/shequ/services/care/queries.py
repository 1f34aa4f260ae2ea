"""Reads of the needs list and visit plans.

Scoped by the subject's grid: a grid worker sees their grid's subjects and tasks, community staff and the desks
above see their area's, administrators everything; nobody else sees any (``NotFound``). People are shown through
the registry's masking (``visibility.viewer_for``) by the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet

from shequ.access.models import Role, User
from shequ.access.scopes import area_prefix
from shequ.core import clock
from shequ.core.errors import NotFound
from shequ.geo.models import Region

from ..models import CareSubject, CareTask, CareVisit, Risk, VisitInterval


def care_tags() -> list[str]:
    return list(settings.SHEQU_CARE_TAGS)


def interval_days(risk: str) -> int:
    found = VisitInterval.objects.filter(risk=risk).values_list("days", flat=True).first()
    return found or {Risk.HIGH: 7, Risk.MEDIUM: 14}.get(Risk(risk), 30)


def sees_care(user: User) -> bool:
    return user.is_authenticated and (user.sees_everything or user.role in (Role.GRID_WORKER, *_DESKS))


_DESKS = (Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_DISPATCHER)


def _prefix(user: User) -> str | None:
    return area_prefix(user) if sees_care(user) else None


def subjects_for(user: User) -> QuerySet[CareSubject]:
    prefix = _prefix(user)
    base = CareSubject.objects.select_related("person", "grid")
    if prefix is None:
        return base.none()
    return base.filter(grid__code__startswith=prefix) if prefix else base


def get_subject_for(user: User, pk: Any) -> CareSubject:
    try:
        return subjects_for(user).get(pk=pk)
    except (CareSubject.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def tasks_for(user: User) -> QuerySet[CareTask]:
    prefix = _prefix(user)
    base = CareTask.objects.select_related("subject__person", "grid", "worker")
    if prefix is None:
        return base.none()
    return base.filter(grid__code__startswith=prefix) if prefix else base


def open_tasks(qs: QuerySet[CareTask]) -> QuerySet[CareTask]:
    return qs.filter(done_at__isnull=True, cancelled_at__isnull=True)


def get_task_for(user: User, pk: Any) -> CareTask:
    try:
        return tasks_for(user).get(pk=pk)
    except (CareTask.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def my_tasks(user: User) -> QuerySet[CareTask]:
    """A grid worker's open visits, the most urgent first: overdue, then by due date."""
    qs = open_tasks(tasks_for(user))
    if user.role == Role.GRID_WORKER:
        qs = qs.filter(Q(worker=user) | Q(worker__isnull=True))
    return qs.order_by("-escalated", "-overdue", "due", "id")


def escalated(user: User) -> QuerySet[CareTask]:
    """Missed visits that have gone on to the community (for the desks above the grid)."""
    return open_tasks(tasks_for(user)).filter(escalated=True).order_by("due", "id")


def visits_for(user: User) -> QuerySet[CareVisit]:
    prefix = _prefix(user)
    base = CareVisit.objects.select_related("subject__person", "worker", "event", "order")
    if prefix is None:
        return base.none()
    return base.filter(subject__grid__code__startswith=prefix) if prefix else base


@dataclass(frozen=True)
class WorkerPlan:
    worker: User | None
    grid: Region
    subjects: int
    open: int
    due_today: int
    overdue: int
    escalated: int
    last_visit: Any


def plans(user: User) -> list[WorkerPlan]:
    """Per grid of the user's area that has subjects: its worker, subjects and the state of their visits."""
    today = clock.now().date()
    subjects = subjects_for(user).filter(active=True)
    per_grid = {r["grid"]: r["n"] for r in subjects.values("grid").annotate(n=Count("id"))}
    tasks = (
        open_tasks(tasks_for(user))
        .values("grid")
        .annotate(
            open=Count("id"),
            due=Count("id", filter=Q(due__lte=today)),
            overdue=Count("id", filter=Q(overdue=True)),
            escalated=Count("id", filter=Q(escalated=True)),
        )
    )
    by_grid = {r["grid"]: r for r in tasks}
    last = {
        r["subject__grid"]: r["last"] for r in visits_for(user).values("subject__grid").annotate(last=Max("visited_at"))
    }
    grids = Region.objects.filter(pk__in=set(per_grid) | set(by_grid)).order_by("code")
    workers = {
        w.region_id: w
        for w in User.objects.filter(role=Role.GRID_WORKER, is_active=True, region__in=grids).order_by("-id")
    }
    rows = []
    for grid in grids:
        t: dict[str, Any] = dict(by_grid.get(grid.pk, {}))
        rows.append(
            WorkerPlan(
                worker=workers.get(grid.pk),
                grid=grid,
                subjects=per_grid.get(grid.pk, 0),
                open=t.get("open", 0),
                due_today=t.get("due", 0),
                overdue=t.get("overdue", 0),
                escalated=t.get("escalated", 0),
                last_visit=last.get(grid.pk),
            )
        )
    return rows


def due_label(task: CareTask, today: date | None = None) -> str:
    today = today or clock.now().date()
    return "overdue" if task.overdue else "today" if task.due <= today else "later"
