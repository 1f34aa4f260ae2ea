"""Reads of collection tasks: who sees which task, what a form asks, and coverage.

Tasks are scoped like everything else: a grid worker sees only the tasks assigned to them; community, street and
district staff see the tasks of grids inside their area; administrators see all. Anything else is ``NotFound``.
People are read through ``registry.queries`` (``people_in``, ``current_residences``), the base's one access point.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet

from shequ.access.models import Role, User
from shequ.access.scopes import area_prefix, manages_area
from shequ.core import clock
from shequ.core.errors import NotFound
from shequ.geo.models import Region, RegionLevel
from shequ.registry.dictionary import CodeItem, Field, FieldType
from shequ.registry.models import Change, Person
from shequ.registry.queries import current_residences

from .models import CollectionTask, FieldConfirmation, ItemStatus, TaskItem, TaskStatus

# Dictionary fields a grid worker is never asked: tags have their own workflow, a note is not a fact to confirm.
NOT_COLLECTED = frozenset({"person.tags", "person.note"})


def fresh_days() -> int:
    return settings.SHEQU_COLLECTION_FRESH_DAYS


def fresh_since(at: datetime | None = None) -> datetime:
    """The start of the freshness window: a value confirmed or changed after this is not asked again."""
    return (at or clock.now()) - timedelta(days=fresh_days())


def collectible_fields() -> list[Field]:
    """The person fields of the data dictionary a form can ask, in the dictionary's order of the record."""
    rows = Field.objects.filter(name__startswith="person.").exclude(type__in=[FieldType.TAGS, FieldType.REFERENCE])
    by_name = {f.name: f for f in rows.select_related("code_table") if f.name not in NOT_COLLECTED}
    # Person.TRACKED is the record's natural order (ID number, name, gender, ...): forms follow it.
    return [by_name[f"person.{n}"] for n in Person.TRACKED if f"person.{n}" in by_name]


# --- who sees which task ---------------------------------------------------------------------------


def may_manage(user: User) -> bool:
    """Community staff, street and district dispatchers and administrators make, cancel and watch tasks."""
    return manages_area(user)


def tasks_for(user: User) -> QuerySet[CollectionTask]:
    base = CollectionTask.objects.select_related("grid", "assignee", "created_by")
    if user.role == Role.GRID_WORKER:
        return base.filter(assignee=user)
    prefix = area_prefix(user)
    if prefix is None:
        return base.none()
    return base.filter(grid__code__startswith=prefix)


def get_task_for(user: User, pk: Any) -> CollectionTask:
    try:
        return tasks_for(user).get(pk=pk)
    except (CollectionTask.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def get_item_for(user: User, pk: Any) -> TaskItem:
    try:
        return TaskItem.objects.select_related("task", "task__grid", "person").get(
            pk=pk, task__in=tasks_for(user).values("pk")
        )
    except (TaskItem.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def grids_for(user: User) -> QuerySet[Region]:
    """Grids a user may make tasks for: those inside their area (desk roles and administrators only)."""
    prefix = area_prefix(user)
    if prefix is None or user.role == Role.GRID_WORKER:
        return Region.objects.none()
    return Region.objects.filter(level=RegionLevel.GRID, code__startswith=prefix).order_by("code")


def workers_for(user: User) -> QuerySet[User]:
    """Active grid workers of the grids inside the user's area."""
    grids = grids_for(user)
    return (
        User.objects.filter(role=Role.GRID_WORKER, is_active=True, region__in=grids)
        .select_related("region")
        .order_by("region__code", "name", "username")
    )


def task_progress(task: CollectionTask) -> tuple[int, int]:
    """(done, total) items of a task."""
    counts = task.items.aggregate(total=Count("id"), done=Count("id", filter=~Q(status=ItemStatus.PENDING)))
    return counts["done"], counts["total"]


def with_progress(tasks: QuerySet[CollectionTask]) -> QuerySet[CollectionTask]:
    return tasks.annotate(total=Count("items"), done_count=Count("items", filter=~Q(items__status=ItemStatus.PENDING)))


# --- what a form asks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """One field a form asks, prefilled from the base."""

    field: Field  # the dictionary row: label, type, code table
    value: str  # the current value as form text ("" when missing)
    missing: bool
    last_seen: datetime | None  # when it was last confirmed or changed, if ever
    choices: tuple[tuple[str, str], ...] = ()  # (code, label) of the code table's active items

    @property
    def name(self) -> str:
        return self.field.attribute


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def last_seen(record_type: str, record_id: int, names: list[str]) -> dict[str, datetime]:
    """For each field, the latest time it was confirmed by a task or changed by anyone."""
    seen: dict[str, datetime] = {}
    confirmed = (
        FieldConfirmation.objects.filter(record_type=record_type, record_id=record_id, field__in=names)
        .values("field")
        .annotate(last=Max("confirmed_at"))
    )
    changed = (
        Change.objects.filter(record_type=record_type, record_id=record_id, field__in=names)
        .values("field")
        .annotate(last=Max("at"))
    )
    for row in [*confirmed, *changed]:
        if row["field"] not in seen or row["last"] > seen[row["field"]]:
            seen[row["field"]] = row["last"]
    return seen


def form_for(item: TaskItem, *, at: datetime | None = None) -> list[Ask]:
    """The fields to ask for this item's person: the task's fields that are not fresh (see ``asks_for``)."""
    # the caller found the item (and so the person) through the user's scope
    return asks_for(item.person, item.task.fields, at=at)


def choices_for(field: Field) -> tuple[tuple[str, str], ...]:
    """(code, label) of the active items of a coded field's code table."""
    if field.type != FieldType.CODE or not field.code_table_id:
        return ()
    items = CodeItem.objects.filter(table_id=field.code_table_id, active=True).order_by("order", "code")
    return tuple(items.values_list("code", "label"))


def asks_for(person: Person, names: list[str], *, at: datetime | None = None) -> list[Ask]:
    """The collectible person fields among ``names`` (dictionary names) that are not fresh, prefilled: the smart
    form of collection tasks and of online applications alike (collect once: ask only what the base lacks or has
    not had confirmed for a while).

    Fresh means confirmed by any task, or changed by anyone (import, API, manual edit, a task), within the last
    ``SHEQU_COLLECTION_FRESH_DAYS`` days. A value never set is never fresh (no Change row writes it), so missing
    values are always asked, unless a worker confirmed the field empty within the window (no phone, say)."""
    wanted = set(names)
    fields = [f for f in collectible_fields() if f.name in wanted]
    cutoff = fresh_since(at)
    seen = last_seen("person", person.pk, [f.attribute for f in fields])
    asks = []
    for field in fields:
        last = seen.get(field.attribute)
        if last is not None and last >= cutoff:
            continue
        value = _as_text(getattr(person, field.attribute))
        asks.append(Ask(field=field, value=value, missing=value == "", last_seen=last, choices=choices_for(field)))
    return asks


# --- coverage ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridCoverage:
    grid: Region
    people: int  # living there now
    confirmed: int  # of those, done in a task within the freshness window

    @property
    def percent(self) -> int:
        return round(100 * self.confirmed / self.people) if self.people else 0


@dataclass(frozen=True)
class WorkerCoverage:
    worker: User
    assigned: int  # items in their tasks (cancelled tasks left out)
    done: int
    last_activity: datetime | None


def confirmed_people(*, at: datetime | None = None) -> QuerySet[TaskItem]:
    """Items done within the freshness window (any task, any grid): their people count as confirmed."""
    return TaskItem.objects.filter(done_at__gte=fresh_since(at)).exclude(status=ItemStatus.PENDING)


def grid_coverage(user: User, *, at: datetime | None = None) -> list[GridCoverage]:
    """Per grid in the user's area: people living there now, and how many were confirmed within the window."""
    grids = list(grids_for(user))
    if not grids:
        return []
    prefix = area_prefix(user) or ""
    recent = confirmed_people(at=at).values("person_id")
    rows = (
        current_residences()
        .filter(dwelling__building__grid__code__startswith=prefix, person__merged_into__isnull=True)
        .values("dwelling__building__grid_id")
        .annotate(
            people=Count("person_id", distinct=True),
            confirmed=Count("person_id", distinct=True, filter=Q(person_id__in=recent)),
        )
    )
    counts = {r["dwelling__building__grid_id"]: (r["people"], r["confirmed"]) for r in rows}
    return [
        GridCoverage(grid=g, people=counts.get(g.pk, (0, 0))[0], confirmed=counts.get(g.pk, (0, 0))[1]) for g in grids
    ]


def worker_coverage(user: User) -> list[WorkerCoverage]:
    """Per grid worker in the user's area: items assigned, items done, and when they last did one."""
    workers = list(workers_for(user))
    rows = (
        TaskItem.objects.filter(task__assignee__in=workers)
        .exclude(task__status=TaskStatus.CANCELLED)
        .values("task__assignee_id")
        .annotate(
            assigned=Count("id"),
            finished=Count("id", filter=~Q(status=ItemStatus.PENDING)),
            last=Max("done_at"),
        )
    )
    stats: dict[int, tuple[int, int, datetime | None]] = {
        r["task__assignee_id"]: (r["assigned"], r["finished"], r["last"]) for r in rows
    }
    return [
        WorkerCoverage(
            worker=w,
            assigned=stats.get(w.pk, (0, 0, None))[0],
            done=stats.get(w.pk, (0, 0, None))[1],
            last_activity=stats.get(w.pk, (0, 0, None))[2],
        )
        for w in workers
    ]
