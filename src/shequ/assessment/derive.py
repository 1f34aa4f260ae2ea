"""An event's facts from its timeline: the measures of ``indicators.MEASURES``, each on its day.

A pure function of the event row and its timeline rows (and the response limits and working calendar), used the
same way by the incremental fold, the full rebuild and the tests, so the two can never disagree. Nothing here
reads the clock: a fact depends only on what was recorded.

Handling cycles: a ``dispatch``, ``verify_fail``, ``reopen`` or ``inspection_reopen`` row starts one for the unit
it names; the next ``handle``, ``return`` or ``escalate`` row ends it. An ``overdue`` row (the deadline sweep's
mark) inside a cycle makes it overdue, and a ``handle`` after that mark is not on time.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from shequ.core import worktime

STARTS_CYCLE = ("dispatch", "verify_fail", "reopen", "inspection_reopen")
ENDS_CYCLE = ("handle", "return", "escalate")
REOPENS = ("reopen", "inspection_reopen")
# events.actions.rate writes the note as "<score>★ <comment>": the score of every rating, even one a reopen cleared.
RATING = re.compile(r"^([1-5])★")


@dataclass(frozen=True)
class EventRow:
    id: int
    status: str
    channel: str
    reported_at: datetime
    area_code: str
    category_code: str
    level_id: int
    unit_id: int | None  # the event's unit now
    worker_id: int | None  # the reporter, when a grid worker reported it


@dataclass(frozen=True)
class Step:
    """One timeline row, as much of it as the measures need."""

    action: str
    at: datetime
    to_status: str = ""
    unit_id: int | None = None
    actor_id: int | None = None
    note: str = ""


@dataclass
class FactRow:
    day: date
    unit_id: int | None
    person_id: int | None
    measures: Counter = field(default_factory=Counter)


def local_day(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


@dataclass
class _Cycle:
    day: date
    unit_id: int | None
    overdue: bool = False


def derive(event: EventRow, steps: list[Step], *, response_hours: float) -> list[FactRow]:
    """The event's facts: one row per (day, unit, person) with the measures counted there."""
    rows: dict[tuple[date, int | None, int | None], FactRow] = {}

    def add(day: date, measure: str, value: int = 1, *, unit: int | None, person: int | None = event.worker_id):
        if not value:
            return
        key = (day, unit, person)
        if key not in rows:
            rows[key] = FactRow(day, unit, person)
        rows[key].measures[measure] += value

    report_day = local_day(event.reported_at)
    now_unit = event.unit_id
    add(report_day, "reported", unit=now_unit)
    if event.channel == "grid_worker" and event.worker_id is not None:
        add(report_day, "self_found", unit=now_unit)
    if event.status != "rejected":
        add(report_day, "response_base", unit=now_unit)

    cycles: list[_Cycle] = []
    cycle: _Cycle | None = None
    unit: int | None = None  # the unit whose work the next rating or verification judges
    accepted = False
    for step in steps:
        day, action = local_day(step.at), step.action
        if action == "accept" and not accepted:
            accepted = True
            add(day, "accepted", unit=now_unit)
            if event.status == "closed":
                add(day, "accepted_closed", unit=now_unit)
            hours = worktime.working_hours_between(event.reported_at, step.at)
            if hours <= response_hours + 1e-9:
                add(report_day, "responded", unit=now_unit)
        elif step.to_status == "rejected" and action != "report":
            add(day, "rejected", unit=now_unit)
        if action in STARTS_CYCLE:
            unit = step.unit_id if step.unit_id is not None else unit
            cycle = _Cycle(day, unit)
            cycles.append(cycle)
            if action == "dispatch":
                add(day, "dispatched", unit=unit)
        if action == "overdue" and cycle is not None:
            cycle.overdue = True
        elif action == "handle":
            handler = cycle.unit_id if cycle is not None else step.unit_id
            add(day, "handled", unit=handler)
            add(day, "handled_on_time", 0 if cycle is not None and cycle.overdue else 1, unit=handler)
        elif action in ("verify_pass", "verify_fail"):
            add(day, "verified", unit=unit)
            add(day, "verifications_done", unit=None, person=step.actor_id)
            if action == "verify_fail":
                add(day, "verify_failed", unit=unit)
            else:
                add(day, "closed", unit=unit)
                minutes = round(worktime.working_hours_between(event.reported_at, step.at) * 60)
                add(day, "close_minutes", minutes, unit=unit)
        elif action == "rate" and (m := RATING.match(step.note)):
            add(day, "rated", unit=unit)
            add(day, "rated_good", 1 if int(m.group(1)) >= 4 else 0, unit=unit)
        if action in REOPENS:
            add(day, "reopened", unit=unit)
        if action in ENDS_CYCLE:
            cycle = None
            if action != "handle":
                unit = None
    for c in cycles:
        add(c.day, "cycles", unit=c.unit_id)
        if c.overdue:
            add(c.day, "cycles_overdue", unit=c.unit_id)
    return list(rows.values())
