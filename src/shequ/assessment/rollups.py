"""Keeping facts and rollups up to date: the fold (incremental) and the rebuild (everything again).

Every timeline row queues its event (``queue_event``, called by the events app inside the action's transaction:
one small INSERT). The fold takes the queued events, derives their facts again from event row and timeline
(``derive.py``), and moves the rollups by the difference between the new facts and the stored ones. Deriving
again instead of adding the new row's share makes the fold idempotent: an event folded twice changes nothing.
One fold runs at a time (it locks the ``fold`` watermark row; another one finding it locked returns at once).
It runs after each commit (``SHEQU_ASSESSMENT_FOLD=commit``: one queued task at a time) and on every scheduler
tick, so a closed event counts within seconds, and within a tick at worst.

``rebuild`` derives every fact again and sums the rollups in SQL: the full recomputation the tests compare with.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max

from shequ.access.models import Role
from shequ.events.models import Event, Level, TimelineEntry

from . import work
from .derive import EventRow, FactRow, Step, derive, local_day
from .indicators import MEASURE_CODES
from .models import Fact, Pending, ResponseLimit, Rollup, Slice, Source, Watermark

log = logging.getLogger(__name__)

FOLD_LOCK = "fold"
QUEUED_FLAG = "assessment:fold-queued"
WORK_OVERLAP = 500  # work rows read again each fold, for ids that committed after a higher one
Cell = tuple[str, str, str, date, str]  # slice, grain, community, day, key


# --- queueing, from the events app's hook ---------------------------------------------------------------------


def queue_event(entry: TimelineEntry) -> None:
    Pending.objects.create(event_id=entry.event_id)
    if settings.SHEQU_ASSESSMENT_FOLD == "commit":
        transaction.on_commit(_schedule_fold)


def _schedule_fold() -> None:
    # One fold task waiting at a time: a busy loop does not flood the queue (the flag goes when the fold starts).
    if cache.add(QUEUED_FLAG, 1, timeout=300):
        from .tasks import fold_rollups

        try:
            fold_rollups.enqueue()
        except Exception:  # the tick folds it anyway; an action must not fail after its commit
            cache.delete(QUEUED_FLAG)
            log.exception("could not enqueue the rollup fold")


# --- deriving an event's facts --------------------------------------------------------------------------------


def response_limits() -> tuple[dict[int, float], float]:
    default = float(settings.SHEQU_RESPONSE_HOURS)
    limits = {level: default for level in Level.objects.values_list("pk", flat=True)}
    limits.update(dict(ResponseLimit.objects.values_list("level_id", "hours")))
    return limits, default


EVENT_FIELDS = (
    "pk",
    "status",
    "channel",
    "reported_at",
    "area_code",
    "category__code",
    "level_id",
    "unit_id",
    "reporter_id",
    "reporter__role",
)
STEP_FIELDS = ("event_id", "action", "at", "to_status", "unit_id", "actor_id", "note")


def event_facts(event_ids: Iterable[int], limits: tuple[dict[int, float], float]) -> dict[int, list[Fact]]:
    """The facts each of these events should have now (an event that no longer exists: none)."""
    ids = list(event_ids)
    steps: dict[int, list[Step]] = defaultdict(list)
    timeline = TimelineEntry.objects.filter(event_id__in=ids).order_by("event_id", "at", "id")
    for event_id, action, at, to_status, unit_id, actor_id, note in timeline.values_list(*STEP_FIELDS):
        steps[event_id].append(Step(action, at, to_status, unit_id, actor_id, note))
    by_level, default = limits
    found: dict[int, list[Fact]] = {pk: [] for pk in ids}
    for values in Event.objects.filter(pk__in=ids).values_list(*EVENT_FIELDS):
        pk, status, channel, reported_at, area, category, level, unit, reporter, role = values
        row = EventRow(
            pk, status, channel, reported_at, area, category or "", level, unit,
            reporter if role == Role.GRID_WORKER else None,
        )  # fmt: skip
        found[pk] = [to_fact(row, f) for f in derive(row, steps[pk], response_hours=by_level.get(level, default))]
    return found


def to_fact(event: EventRow, row: FactRow) -> Fact:
    return Fact(
        source=Source.EVENT,
        source_id=event.id,
        day=row.day,
        community_code=event.area_code[:12],
        area_code=event.area_code,
        category_code=event.category_code,
        channel=event.channel,
        unit_id=row.unit_id,
        person_id=row.person_id,
        **dict(row.measures),
    )


# --- rollup cells ---------------------------------------------------------------------------------------------


def cells(fact: Fact) -> Iterator[Cell]:
    """The rollup cells a fact adds to: each slice it belongs to, by day and by month."""
    keys = [(Slice.ALL.value, "")]
    if len(fact.area_code) == 15:
        keys.append((Slice.GRID.value, fact.area_code))
    if fact.source == Source.EVENT:
        keys += [(Slice.CATEGORY.value, fact.category_code), (Slice.CHANNEL.value, fact.channel)]
    if fact.unit_id is not None:
        keys.append((Slice.UNIT.value, str(fact.unit_id)))
    if fact.person_id is not None:
        keys.append((Slice.PERSON.value, str(fact.person_id)))
    month = fact.day.replace(day=1)
    for slice_, key in keys:
        yield slice_, "d", fact.community_code, fact.day, key
        yield slice_, "m", fact.community_code, month, key


def measures_of(fact: Fact) -> Counter:
    return Counter({m: v for m in MEASURE_CODES if (v := getattr(fact, m))})


def add_deltas(deltas: dict[Cell, Counter], facts: Iterable[Fact], sign: int) -> None:
    for fact in facts:
        counts = measures_of(fact)
        for cell in cells(fact):
            target = deltas[cell]
            for m, v in counts.items():
                target[m] += sign * v


_COLUMNS = ", ".join(MEASURE_CODES)
_UPSERT = (
    f"INSERT INTO assessment_rollup (slice, grain, community_code, day, key, {_COLUMNS}) "
    f"VALUES ({', '.join(['%s'] * (5 + len(MEASURE_CODES)))}) "
    f"ON CONFLICT (slice, grain, community_code, day, key) DO UPDATE SET "
    + ", ".join(f"{m} = assessment_rollup.{m} + excluded.{m}" for m in MEASURE_CODES)
)


def apply_deltas(deltas: dict[Cell, Counter]) -> int:
    """Move the rollups by these differences, in the cells' sorted order (two writers never deadlock)."""
    rows: list[tuple[Any, ...]] = [
        (*cell, *(counts.get(m, 0) for m in MEASURE_CODES))
        for cell, counts in sorted(deltas.items())
        if any(counts.values())
    ]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(_UPSERT, rows)
    return len(rows)


def replace_facts(source: str, found: dict[int, list[Fact]]) -> dict[Cell, Counter]:
    """Swap the stored facts of these source records for ``found``; returns the rollups' differences."""
    deltas: dict[Cell, Counter] = defaultdict(Counter)
    ids = list(found)
    for chunk in _chunks(ids, 500):
        old = list(Fact.objects.filter(source=source, source_id__in=chunk))
        add_deltas(deltas, old, -1)
        Fact.objects.filter(pk__in=[f.pk for f in old]).delete()
    new = [f for facts in found.values() for f in facts]
    add_deltas(deltas, new, +1)
    Fact.objects.bulk_create(new, batch_size=1000)
    return deltas


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- the fold -------------------------------------------------------------------------------------------------


def _lock() -> bool:
    """Take the fold's lock row in this transaction; False when another fold holds it."""
    Watermark.objects.get_or_create(name=FOLD_LOCK)
    skip = connection.features.has_select_for_update_skip_locked
    rows = Watermark.objects.filter(name=FOLD_LOCK).select_for_update(skip_locked=skip)
    return rows.exists() if skip else bool(list(rows))


def fold(*, batch: int = 2000) -> int:
    """Fold what is queued: events whose timelines grew, then new work rows. Returns the events folded."""
    cache.delete(QUEUED_FLAG)  # an action committing from now on queues a fold again
    folded = 0
    while True:
        with transaction.atomic():
            if not _lock():
                return folded  # another fold is running; it takes what is queued
            queued = list(Pending.objects.order_by("pk").values_list("pk", "event_id")[:batch])
            if queued:
                event_ids = sorted({event_id for _, event_id in queued})
                apply_deltas(replace_facts(Source.EVENT, event_facts(event_ids, response_limits())))
                for chunk in _chunks([pk for pk, _ in queued], 500):
                    Pending.objects.filter(pk__in=chunk).delete()
                folded += len(event_ids)
            if len(queued) < batch:
                fold_work()
                return folded


def fold_work(*, batch: int = 5000) -> int:
    """New rows of every work source as facts (each row once)."""
    made = 0
    for source in work.SOURCES.values():
        mark, _ = Watermark.objects.get_or_create(name=f"work:{source.name}")
        rows = source.rows_after(max(0, mark.value - WORK_OVERLAP), batch)
        if not rows:
            continue
        seen = set(
            Fact.objects.filter(source=source.name, source_id__in=[r.id for r in rows]).values_list(
                "source_id", flat=True
            )
        )
        new = [work_fact(source, r) for r in rows if r.id not in seen]
        deltas: dict[Cell, Counter] = defaultdict(Counter)
        add_deltas(deltas, new, +1)
        Fact.objects.bulk_create(new, batch_size=1000)
        apply_deltas(deltas)
        mark.value = max(mark.value, rows[-1].id)
        mark.save(update_fields=["value"])
        made += len(new)
    return made


def work_fact(source: work.WorkSource, row: work.WorkRow) -> Fact:
    return Fact(
        source=source.name,
        source_id=row.id,
        day=local_day(row.at),
        community_code=row.area_code[:12],
        area_code=row.area_code,
        person_id=row.person_id,
        **{source.measure: 1},
    )


# --- the full recomputation ------------------------------------------------------------------------------------


def rebuild(*, batch: int = 5000, say: Callable[[str], None] = lambda _text: None) -> int:
    """Every fact derived again from the events, the work sources and the spot checks, and the rollups summed
    from them in SQL. Returns the facts written. Events queued meanwhile are folded by the next fold."""
    from .inspections import inspection_facts

    with transaction.atomic():
        _lock()
        last_queued = Pending.objects.aggregate(last=Max("pk"))["last"] or 0
        Pending.objects.filter(pk__lte=last_queued).delete()
        Fact.objects.all().delete()
        Rollup.objects.all().delete()
        Watermark.objects.filter(name__startswith="work:").delete()
        limits = response_limits()
        written, after = 0, 0
        while True:
            ids = list(Event.objects.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                break
            facts = [f for found in event_facts(ids, limits).values() for f in found]
            Fact.objects.bulk_create(facts, batch_size=2000)
            written += len(facts)
            after = ids[-1]
            say(f"{written:,} facts, events up to id {after:,}")
        while made := fold_work_facts_only():
            written += made
        inspections = inspection_facts()
        Fact.objects.bulk_create(inspections, batch_size=2000)
        written += len(inspections)
        sum_rollups()
    return written


def fold_work_facts_only(*, batch: int = 20000) -> int:
    """Work rows past each watermark as facts, without touching the rollups (the rebuild sums them after)."""
    made = 0
    for source in work.SOURCES.values():
        mark, _ = Watermark.objects.get_or_create(name=f"work:{source.name}")
        rows = source.rows_after(mark.value, batch)
        if rows:
            Fact.objects.bulk_create([work_fact(source, r) for r in rows], batch_size=2000)
            mark.value = rows[-1].id
            mark.save(update_fields=["value"])
            made += len(rows)
    return made


def sum_rollups() -> None:
    """INSERT ... SELECT the rollups from the facts, one GROUP BY per slice and grain: the same cells as
    ``cells()`` makes in Python (the tests compare the two)."""
    month = "date_trunc('month', day)::date" if connection.vendor == "postgresql" else "date(day, 'start of month')"
    sums = ", ".join(f"SUM({m})" for m in MEASURE_CODES)
    slices = [
        ("''", "''", ""),
        ("'grid'", "area_code", "WHERE length(area_code) = 15"),
        ("'category'", "category_code", f"WHERE source = '{Source.EVENT.value}'"),
        ("'channel'", "channel", f"WHERE source = '{Source.EVENT.value}'"),
        ("'unit'", "CAST(unit_id AS TEXT)", "WHERE unit_id IS NOT NULL"),
        ("'person'", "CAST(person_id AS TEXT)", "WHERE person_id IS NOT NULL"),
    ]
    with connection.cursor() as cursor:
        for slice_, key, where in slices:
            # PostgreSQL refuses a constant in GROUP BY: the slice of all groups by community and day only.
            group_key = "" if key == "''" else f", {key}"
            for grain, day in (("d", "day"), ("m", month)):
                cursor.execute(
                    f"INSERT INTO assessment_rollup (slice, grain, community_code, day, key, {_COLUMNS}) "
                    f"SELECT {slice_}, '{grain}', community_code, {day}, {key}, {sums} FROM assessment_fact {where} "
                    f"GROUP BY community_code, {day}{group_key}"
                )
