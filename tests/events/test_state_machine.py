"""Random walks through the loop: random actions by random personas, valid and not, on a few events.

After every step the loop's invariants must hold: a successful action moves the event only
along ``RULES`` and writes exactly its timeline rows; a refused one changes nothing; the
timeline is one unbroken chain; each status carries the fields it needs.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from shequ.core import clock
from shequ.core.errors import DomainError, InvalidInput, InvalidTransition, PermissionDenied
from shequ.events import actions
from shequ.events.models import Event, Status, TimelineEntry
from shequ.events.rules import RULES, allowed_actions

from ..world import World
from .loop import reported, snapshot

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 9, 26, 10, 0, tzinfo=TZ)  # just before Golden Week, to cross holidays

PERSONAS = (
    "resident",
    "resident2",
    "grid_worker",
    "grid_worker_g2",
    "community_staff",
    "community_staff_c3",
    "street_dispatcher",
    "street_dispatcher_s2",
    "district_dispatcher",
    "handler",
    "handler_city",
    "admin",
    "system",
)
CALLS = {name: getattr(actions, "return_" if name == "return" else name) for name in RULES}
# The timeline actions each loop action may write.
LOGGED = {
    "dispatch": {"dispatch", "to_street_desk"},
    "verify": {"verify_pass", "verify_fail"},
    "decide_extension": {"extension_approved", "extension_refused"},
}
REASON = st.sampled_from(["", "  ", "理由充分"])


def inputs(action: str, w: World) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for the action, sometimes invalid."""
    units = st.sampled_from([None, None, w.sanitation, w.city_mgmt, w.district_mgmt])
    return {
        "accept": st.fixed_dictionaries({"category": st.sampled_from([None, w.litter, w.noise, w.group_env])}),
        "reject": st.fixed_dictionaries({"reason": REASON}),
        "dispatch": st.fixed_dictionaries({"unit": units}),
        "return": st.fixed_dictionaries({"reason": REASON}),
        "escalate": st.fixed_dictionaries({"reason": REASON}),
        "request_extension": st.fixed_dictionaries({"hours": st.sampled_from([0, 4, 8.5, 800]), "reason": REASON}),
        "decide_extension": st.fixed_dictionaries({"approve": st.booleans(), "note": REASON}),
        "handle": st.fixed_dictionaries({"result": st.sampled_from(["", "已处置"])}),
        "verify": st.fixed_dictionaries({"passed": st.booleans(), "note": REASON}),
        "rate": st.fixed_dictionaries(
            {"score": st.sampled_from([0, 1, 2, 3, 5, 6]), "comment": REASON, "reopen_if_low": st.booleans()}
        ),
        "reopen": st.fixed_dictionaries({"reason": REASON}),
        "supervise": st.fixed_dictionaries({"note": REASON}),
        "inspection_reopen": st.fixed_dictionaries({"reason": REASON}),
    }[action]


def valid_inputs(action: str, w: World, event: Event) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments that pass the input checks (a street desk may still lack a unit)."""
    reason = st.just("理由充分")
    return {
        "accept": st.fixed_dictionaries(
            {"category": st.sampled_from([w.litter, w.graffiti, w.noise]) if event.category_id is None else st.none()}
        ),
        "reject": st.fixed_dictionaries({"reason": reason}),
        "dispatch": st.fixed_dictionaries({"unit": st.sampled_from([None, None, None, w.city_mgmt])}),
        "return": st.fixed_dictionaries({"reason": reason}),
        "escalate": st.fixed_dictionaries({"reason": reason}),
        "request_extension": st.fixed_dictionaries({"hours": st.sampled_from([4, 8.5, 30]), "reason": reason}),
        "decide_extension": st.fixed_dictionaries({"approve": st.booleans(), "note": reason}),
        "handle": st.fixed_dictionaries({"result": st.just("已处置")}),
        "verify": st.fixed_dictionaries({"passed": st.booleans(), "note": reason}),
        "rate": st.fixed_dictionaries(
            {"score": st.integers(1, 5), "comment": st.sampled_from(["", "一般"]), "reopen_if_low": st.booleans()}
        ),
        "reopen": st.fixed_dictionaries({"reason": reason}),
        "supervise": st.fixed_dictionaries({"note": reason}),
        "inspection_reopen": st.fixed_dictionaries({"reason": reason}),
    }[action]


def timeline(event_id: int) -> list[TimelineEntry]:
    return list(TimelineEntry.objects.filter(event_id=event_id).order_by("id"))


class EventLoop(RuleBasedStateMachine):
    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        self.w = type(self).world
        self.pks: list[int] = []
        self.now = START
        self.stack = ExitStack()
        # Each example runs in its own savepoint, rolled back at teardown.
        self.stack.enter_context(transaction.atomic())
        self.frozen = ExitStack()
        self.frozen.enter_context(clock.frozen(self.now))

    def teardown(self) -> None:
        self.frozen.close()
        transaction.set_rollback(True)
        self.stack.close()

    # --- rules ---------------------------------------------------------------------------

    @precondition(lambda self: len(self.pks) < 2)
    @rule(
        reporter=st.sampled_from(["resident", "resident2", "grid_worker"]),
        grid=st.sampled_from(["g1", "g2", "g4", "g3"]),
        category=st.sampled_from(["litter", "graffiti", "noise", None]),
    )
    def report(self, reporter: str, grid: str, category: str | None) -> None:
        w = self.w
        event = reported(
            w, by=getattr(w, reporter), grid=getattr(w, grid), category=getattr(w, category) if category else None
        )
        rows = timeline(event.pk)
        assert [(r.action, r.from_status, r.to_status) for r in rows] == [("report", "", Status.REPORTED)]
        self.pks.append(event.pk)

    @precondition(lambda self: self.pks)
    @rule(data=st.data(), persona=st.sampled_from(PERSONAS), action=st.sampled_from(sorted(RULES)))
    def anyone_tries_anything(self, data: st.DataObject, persona: str, action: str) -> None:
        pk = data.draw(st.sampled_from(self.pks), label="event")
        self.attempt(pk, persona, action, data.draw(inputs(action, self.w), label="kwargs"))

    @precondition(lambda self: self.pks)
    @rule(data=st.data(), steps=st.integers(min_value=1, max_value=3))
    def someone_allowed_acts(self, data: st.DataObject, steps: int) -> None:
        """Steer the walk deeper: a few actions the detail page would offer, with valid input.
        Rejection ends a walk early, so it is taken only when nothing else is offered."""
        pk = data.draw(st.sampled_from(self.pks), label="event")
        for _ in range(steps):
            event = Event.objects.select_related("desk").get(pk=pk)
            offered = [
                (persona, action) for persona in PERSONAS for action in allowed_actions(getattr(self.w, persona), event)
            ]
            offered = [o for o in offered if o[1] != "reject"] or offered
            if not offered:
                return
            persona, action = data.draw(st.sampled_from(offered), label="offered")
            self.attempt(pk, persona, action, data.draw(valid_inputs(action, self.w, event), label="kwargs"))

    @precondition(lambda self: self.pks)
    @rule(hours=st.sampled_from([1, 6, 30, 24 * 9]))
    def time_passes(self, hours: int) -> None:
        """The periodic sweep after some time: it only flags dispatched events past their deadline."""
        self.now += timedelta(hours=hours)
        self.frozen.close()
        self.frozen.enter_context(clock.frozen(self.now))
        before = {pk: snapshot(Event(pk=pk)) for pk in self.pks}
        due = {
            pk
            for pk in self.pks
            if (e := Event.objects.get(pk=pk)).status == Status.DISPATCHED and not e.overdue and e.deadline < self.now
        }
        assert actions.mark_overdue() == len(due)
        assert actions.mark_overdue() == 0
        for pk in self.pks:
            after = snapshot(Event(pk=pk))
            if pk not in due:
                assert after == before[pk]
                continue
            assert after["timeline_rows"] == before[pk]["timeline_rows"] + 1
            event = Event.objects.get(pk=pk)
            assert (event.status, event.overdue, event.supervised) == (Status.DISPATCHED, True, True)
            assert timeline(pk)[-1].action == "overdue"

    # --- one attempt and what it must have done -------------------------------------------

    def attempt(self, pk: int, persona: str, action: str, kwargs: dict[str, Any]) -> None:
        user = getattr(self.w, persona)
        event = Event.objects.select_related("desk").get(pk=pk)
        rule_ = RULES[action]
        offered = action in allowed_actions(user, event)
        before = snapshot(event)
        rows_before = before["timeline_rows"]
        try:
            result = CALLS[action](event, by=user, **kwargs)
        except DomainError as error:
            assert snapshot(event) == before, f"refused {action} changed the event"
            if isinstance(error, InvalidInput):
                return  # input is checked before or after the state and permission checks
            if event.status not in rule_.sources:
                assert isinstance(error, InvalidTransition)
            else:
                assert isinstance(error, PermissionDenied) and not offered
            return
        assert offered, f"{action} by {persona} succeeded though not offered"
        after = Event.objects.get(pk=pk)
        assert result.pk == pk and result.status == after.status
        assert event.status in rule_.sources
        rows = timeline(pk)[rows_before:]
        reopened = (
            action == "rate" and kwargs["reopen_if_low"] and kwargs["score"] <= django_settings.SHEQU_REOPEN_MAX_SCORE
        )
        if reopened:
            assert [r.action for r in rows] == ["rate", "reopen"]
            assert rows[0].to_status == Status.CLOSED
            assert after.status in RULES["reopen"].targets
        else:
            assert len(rows) == 1
            assert rows[0].action in LOGGED.get(action, {action})
            assert after.status in rule_.targets
        assert all(r.actor_id == user.pk for r in rows)
        assert rows[0].from_status == event.status and rows[-1].to_status == after.status

    # --- what must always hold ---------------------------------------------------------------

    @invariant()
    def every_event_is_consistent(self) -> None:
        for pk in self.pks:
            event = Event.objects.select_related("desk", "community").get(pk=pk)
            rows = timeline(pk)
            assert rows[0].action == "report" and rows[0].from_status == ""
            for prev, row in pairwise(rows):
                assert row.from_status == prev.to_status, f"{prev} then {row}"
            assert rows[-1].to_status == event.status
            actions_done = [r.action for r in rows]
            reworks = ("verify_fail", "reopen", "inspection_reopen")
            assert event.rework_count == sum(actions_done.count(a) for a in reworks)
            assert event.return_count == actions_done.count("return")
            assert event.community.code.startswith(event.desk.code)
            assert (event.closed_at is not None) == (event.status in (Status.CLOSED, Status.REJECTED))
            if event.status in (Status.DISPATCHED, Status.HANDLED):
                assert event.unit_id is not None and event.deadline is not None
            if event.status in (Status.REPORTED, Status.ACCEPTED, Status.REJECTED):
                assert event.unit_id is None and event.deadline is None
            if event.status != Status.REPORTED:
                assert event.category_id is not None or event.status == Status.REJECTED
            if event.status in (Status.HANDLED, Status.CLOSED):
                assert event.handled_by_id is not None and event.result
            if event.extension_hours is not None:
                assert event.status == Status.DISPATCHED
            if event.rating is not None:
                assert event.status == Status.CLOSED and 1 <= event.rating <= 5
            if event.overdue:
                assert event.supervised


LOOP_SETTINGS = settings(
    max_examples=30,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.django_db
def test_it_keeps_the_loop_invariants_under_random_actions(world):
    EventLoop.world = world
    run_state_machine_as_test(EventLoop, settings=LOOP_SETTINGS)
