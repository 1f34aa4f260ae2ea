"""Grid workers' work besides events, as facts: collection items done, data corrected, visits made.

Each source lists its append-only rows after an id (``rows_after``); the fold reads them past a watermark and makes
one fact per row, once (a fact already there for a row is not made again, so the fold may read a few rows twice).
The sources are listed here, each reading its app's rows: the collection app's items and corrections, the services
app's care visits (``CareVisit``: one row per visit recorded, never a counter kept by hand).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class WorkRow:
    id: int
    at: datetime
    person_id: int | None
    area_code: str  # the grid (or community) the work was done in


@dataclass(frozen=True)
class WorkSource:
    name: str  # the facts' ``source`` (models.Source)
    measure: str  # the measure each row counts 1 for
    rows_after: Callable[[int, int], list[WorkRow]]  # (after id, at most n) -> rows in id order


SOURCES: dict[str, WorkSource] = {}


def register(source: WorkSource) -> None:
    SOURCES[source.name] = source


def _collection_items(after: int, limit: int) -> list[WorkRow]:
    from shequ.collection.models import EntryKind, TaskEntry

    rows = (
        TaskEntry.objects.filter(pk__gt=after, kind__in=(EntryKind.ITEM_CONFIRMED, EntryKind.ITEM_UPDATED))
        .order_by("pk")
        .values_list("pk", "at", "by_id", "task__grid__code")[:limit]
    )
    return [WorkRow(pk, at, by, code) for pk, at, by, code in rows]


def _corrections(after: int, limit: int) -> list[WorkRow]:
    from shequ.registry.models import Change, SourceKind

    rows = (
        Change.objects.filter(pk__gt=after, source_kind=SourceKind.COLLECTION, actor__isnull=False)
        .order_by("pk")
        .values_list("pk", "at", "actor_id", "actor__region__code")[:limit]
    )
    return [WorkRow(pk, at, actor, code or "") for pk, at, actor, code in rows]


def _care_visits(after: int, limit: int) -> list[WorkRow]:
    # The visited person's grid, as services scopes its visits (``care.queries.visits_for``): the list behind the
    # figure then shows the same visits the figure counts.
    from shequ.services.models import CareVisit

    rows = (
        CareVisit.objects.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", "visited_at", "worker_id", "subject__grid__code")[:limit]
    )
    return [WorkRow(pk, at, worker, code) for pk, at, worker, code in rows]


register(WorkSource("collection_item", "items_done", _collection_items))
register(WorkSource("correction", "corrections", _corrections))
register(WorkSource("visit", "visits", _care_visits))
