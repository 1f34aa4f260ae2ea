"""The periodic deadline sweep, run the way `manage.py serve` runs it: a scheduler tick
enqueues the django-tasks task, which the in-process backend runs at once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from shequ.core import clock, scheduler
from shequ.events.models import Status, TimelineEntry
from shequ.events.tasks import sweep_deadlines

from ..events.loop import dispatched

LONG_AGO = datetime(2025, 6, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_it_marks_overdue_events_when_the_task_runs(world):
    with clock.frozen(LONG_AGO):
        event = dispatched(world)
    result = sweep_deadlines.enqueue()
    assert result.return_value == 1
    event.refresh_from_db()
    assert (event.status, event.overdue, event.supervised) == (Status.DISPATCHED, True, True)
    assert sweep_deadlines.enqueue().return_value == 0
    assert TimelineEntry.objects.filter(event=event, action="overdue").count() == 1


def test_it_keeps_ticking_past_a_broken_task(world, monkeypatch):
    with clock.frozen(LONG_AGO):
        event = dispatched(world)
    monkeypatch.setattr(scheduler, "PERIODIC_TASKS", ["shequ.events.tasks.no_such_task", *scheduler.PERIODIC_TASKS])
    scheduler.tick()
    event.refresh_from_db()
    assert event.overdue is True
