"""Grid workers' work besides events, as facts: collection items done, data corrected, visits made.

Each source lists its append-only rows after an id (``rows_after``); the fold reads them past a watermark and makes
one fact per row, once (a fact already there for a row is not made again, so the fold may read a few rows twice).
Apps register their own sources here: the collection app's two are below; the services app adds care visits
(measure ``visits``) with ``register(WorkSource("visit", "visits", its_rows_after))`` when it lands.
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


register(WorkSource("collection_item", "items_done", _collection_items))
register(WorkSource("correction", "corrections", _corrections))
# Care visits (services app, in development elsewhere): register(WorkSource("visit", "visits", ...)).
