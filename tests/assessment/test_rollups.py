"""The rollups kept by the fold equal a full recomputation (``rollups.rebuild``) after any sequence of actions,
folded at any points in between; the fold is idempotent and one runs at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.assessment import rollups
from shequ.assessment.indicators import MEASURE_CODES
from shequ.assessment.models import Fact, Pending, Rollup
from shequ.core import clock
from shequ.core.errors import DomainError
from shequ.events import actions
from shequ.events.models import Channel, Event
from shequ.events.rules import allowed_actions

from .story import at

pytestmark = pytest.mark.django_db
START = at("2025-09-25 09:00")  # a week that crosses the National Day holiday

# One step: (which event, which offered action, hours that pass, fold afterwards?)
STEPS = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 20), st.sampled_from([0, 1, 3, 20, 70]), st.booleans()),
    min_size=1,
    max_size=25,
)


def rollup_rows() -> set[tuple]:
    rows = Rollup.objects.values_list("slice", "grain", "community_code", "day", "key", *MEASURE_CODES)
    return {row for row in rows if any(row[5:])}


def fact_rows() -> list[tuple]:
    rows = Fact.objects.values_list("source", "source_id", "day", "unit_id", "person_id", *MEASURE_CODES)
    return sorted(rows, key=repr)


def kwargs_for(action: str, w, event: Event, n: int) -> dict:
    return {
        "accept": {"category": w.litter} if event.category_id is None else {},
        "reject": {"reason": "不予受理"},
        "dispatch": {"unit": [None, w.city_mgmt][n % 2]},
        "return": {"reason": "非本单位"},
        "escalate": {"reason": "需协调"},
        "request_extension": {"hours": 8, "reason": "材料未到"},
        "decide_extension": {"approve": n % 2 == 0, "note": "同意" if n % 2 == 0 else "不同意"},
        "handle": {"result": "已处置"},
        "verify": {"passed": n % 3 != 0, "note": "未处置好"},
        "rate": {"score": n % 5 + 1, "reopen_if_low": n % 2 == 0},
        "reopen": {"reason": "不满意"},
        "supervise": {"note": "请尽快"},
        "inspection_reopen": {"reason": "抽查不合格"},
    }[action]


CALLS = {"return": actions.return_}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_the_fold_equals_a_full_recomputation(world, steps):
    w = world
    people = [w.resident, w.grid_worker, w.community_staff, w.street_dispatcher, w.handler, w.handler_city, w.admin]
    with transaction.atomic():
        now = START
        events = []
        for grid, channel, by in ((w.g1, Channel.RESIDENT, w.resident), (w.g4, Channel.GRID_WORKER, w.grid_worker)):
            with clock.frozen(now):
                lon, lat = w.point_in(grid)
                events.append(actions.report(by=by, channel=channel, description="井盖缺失", lon=lon, lat=lat))
        for which, choice, hours, fold_now in steps:
            now += timedelta(hours=hours)
            with clock.frozen(now):
                actions.mark_overdue()
                event = Event.objects.select_related("desk").get(pk=events[which % len(events)].pk)
                offered = [(p, a) for p in people for a in allowed_actions(p, event)]
                if offered:
                    person, action = offered[choice % len(offered)]
                    call = CALLS.get(action) or getattr(actions, action)
                    try:
                        call(event, by=person, **kwargs_for(action, w, event, choice))
                    except DomainError:
                        pass  # a street desk without a duty must choose a unit: nothing changed
            if fold_now:
                rollups.fold(batch=3)  # small batches: several rounds
        rollups.fold()
        assert not Pending.objects.exists()
        folded_rollups, folded_facts = rollup_rows(), fact_rows()
        assert folded_rollups
        rollups.rebuild()
        assert fact_rows() == folded_facts
        assert rollup_rows() == folded_rollups
        transaction.set_rollback(True)


def test_folding_twice_changes_nothing(world):
    with clock.frozen(START):
        lon, lat = world.point_in(world.g1)
        event = actions.report(by=world.resident, channel=Channel.RESIDENT, description="路灯不亮", lon=lon, lat=lat)
        actions.accept(event, by=world.community_staff, category=world.litter)
    assert rollups.fold() == 1
    before = rollup_rows()
    rollups.queue_event(event.timeline.first())  # as if a row came again
    assert rollups.fold() == 1
    assert rollup_rows() == before
    assert rollups.fold() == 0
