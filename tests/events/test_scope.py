"""Who sees which events, what each role's to-do lists hold, and the overdue sweep."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser

from shequ.core import clock
from shequ.core.errors import NotFound
from shequ.events import actions
from shequ.events.models import Event, Status, TimelineEntry
from shequ.events.queries import events_for, get_event_for, todo_for
from shequ.events.rules import allowed_actions

from .loop import reported, snapshot

TZ = ZoneInfo("Asia/Shanghai")
TUESDAY = datetime(2025, 6, 10, 10, 0, tzinfo=TZ)


@pytest.fixture
def events(world) -> SimpleNamespace:
    return SimpleNamespace(
        g1=reported(world, by=world.resident, grid=world.g1),
        g2=reported(world, by=world.resident2, grid=world.g2),
        c2=reported(world, by=world.resident, grid=world.g4),
        c3=reported(world, by=world.resident2, grid=world.g3),
        by_grid_worker_in_c2=reported(world, by=world.grid_worker, grid=world.g4),
    )


def seen(user) -> set[str]:
    return set(events_for(user).values_list("code", flat=True))


def codes(*events: Event) -> set[str]:
    return {e.code for e in events}


def test_it_scopes_area_roles_to_their_area(world, events):
    e = events
    assert seen(world.community_staff) == codes(e.g1, e.g2)
    assert seen(world.community_staff_c3) == codes(e.c3)
    assert seen(world.street_dispatcher) == codes(e.g1, e.g2, e.c2, e.by_grid_worker_in_c2)
    assert seen(world.street_dispatcher_s2) == codes(e.c3)
    assert seen(world.district_dispatcher) == codes(*vars(e).values())
    assert seen(world.admin) == codes(*vars(e).values())


def test_it_shows_a_grid_worker_their_grid_and_their_own_reports(world, events):
    assert seen(world.grid_worker) == codes(events.g1, events.by_grid_worker_in_c2)
    assert seen(world.grid_worker_g2) == codes(events.g2)


def test_it_shows_a_resident_only_their_own_reports(world, events):
    assert seen(world.resident) == codes(events.g1, events.c2)
    assert seen(world.resident2) == codes(events.g2, events.c3)
    assert seen(world.system) == set()


def test_it_shows_nothing_to_an_anonymous_or_inactive_user(world, events):
    assert seen(AnonymousUser()) == set()
    world.community_staff.is_active = False
    world.community_staff.save()
    assert seen(world.community_staff) == set()


def test_it_shows_a_unit_the_events_assigned_to_it_now_or_before(world, events):
    assert seen(world.handler) == set() and seen(world.handler_city) == set()
    event = actions.dispatch(actions.accept(events.g1, by=world.community_staff), by=world.community_staff)
    assert seen(world.handler) == codes(event) and seen(world.handler_city) == set()
    event = actions.return_(event, by=world.handler, reason="非本单位职责")
    event = actions.dispatch(event, by=world.community_staff, unit=world.city_mgmt)
    assert seen(world.handler) == codes(event)  # before the return
    assert seen(world.handler_city) == codes(event)  # now


def test_it_gets_an_event_in_scope_by_pk_code_or_token(world, events):
    e = events.g1
    assert get_event_for(world.community_staff, pk=e.pk) == e
    assert get_event_for(world.resident, code=e.code) == e
    assert get_event_for(world.grid_worker, token=str(e.token)) == e


@pytest.mark.parametrize(
    "persona",
    ["community_staff_c3", "street_dispatcher_s2", "grid_worker_g2", "resident2", "handler", "system"],
)
def test_it_answers_not_found_out_of_scope_as_for_a_missing_event(world, events, persona):
    who = getattr(world, persona)
    with pytest.raises(NotFound):
        get_event_for(who, pk=events.g1.pk)
    with pytest.raises(NotFound):
        get_event_for(who, code=events.g1.code)
    with pytest.raises(NotFound):
        get_event_for(who, token=str(events.g1.token))


@pytest.mark.parametrize("lookup", [{"pk": 10**9}, {"code": "nope"}, {"token": "not-a-uuid"}, {"pk": "abc"}, {}])
def test_it_answers_not_found_for_a_missing_or_malformed_lookup(world, events, lookup):
    with pytest.raises(NotFound):
        get_event_for(world.admin, **lookup)


def todo(user) -> dict[str, set[str]]:
    return {name: set(qs.values_list("code", flat=True)) for name, qs in todo_for(user).items()}


def test_it_lists_each_roles_work(world, events):
    e = events
    accepted = actions.accept(e.g2, by=world.community_staff)
    dispatched = actions.dispatch(actions.accept(e.g1, by=world.community_staff), by=world.community_staff)
    dispatched = actions.request_extension(dispatched, by=world.handler, hours=8, reason="待采购")
    assert todo(world.community_staff) == {
        "to_accept": set(),
        "to_dispatch": codes(accepted),
        "extensions": codes(dispatched),
        "to_verify": set(),
        "overdue": set(),
    }
    # The street desk lists only what is at the street desk, though it may act below.
    assert todo(world.street_dispatcher) == {
        "to_accept": set(),
        "to_dispatch": set(),
        "extensions": set(),
        "overdue": set(),
    }
    assert todo(world.community_staff_c3)["to_accept"] == codes(e.c3)
    assert todo(world.handler) == {"to_handle": codes(dispatched), "overdue": set()}
    assert todo(world.handler_city) == {"to_handle": set(), "overdue": set()}
    assert todo(world.resident) == {"to_rate": set()}

    handled = actions.handle(dispatched, by=world.handler, result="已清理")
    assert todo(world.grid_worker)["to_verify"] == codes(handled)
    assert todo(world.grid_worker_g2)["to_verify"] == set()
    assert todo(world.community_staff)["to_verify"] == codes(handled)
    assert todo(world.admin)["to_verify"] == codes(handled)
    closed = actions.verify(handled, by=world.grid_worker, passed=True)
    assert todo(world.resident)["to_rate"] == codes(closed)
    assert todo(world.resident2)["to_rate"] == set()
    actions.rate(closed, by=world.resident, score=5)
    assert todo(world.resident)["to_rate"] == set()


def test_it_does_not_ask_a_grid_worker_to_verify_their_own_report_outside_their_grid(world, events):
    event = actions.accept(events.by_grid_worker_in_c2, by=world.street_dispatcher)
    event = actions.handle(actions.dispatch(event, by=world.street_dispatcher), by=world.handler_city, result="已清理")
    assert event.code in seen(world.grid_worker)
    assert todo(world.grid_worker)["to_verify"] == set()
    assert "verify" not in allowed_actions(world.grid_worker, event)


def test_it_marks_an_overdue_event_once(world, events):
    with clock.frozen(TUESDAY):
        event = actions.dispatch(actions.accept(events.g1, by=world.community_staff), by=world.community_staff)
        actions.accept(events.g2, by=world.community_staff)  # open but not dispatched: never overdue
    assert event.deadline == datetime(2025, 6, 12, 10, 0, tzinfo=TZ)
    before = snapshot(event)
    with clock.frozen(datetime(2025, 6, 12, 9, 59, tzinfo=TZ)):
        assert actions.mark_overdue() == 0
    assert snapshot(event) == before
    late = datetime(2025, 6, 12, 10, 1, tzinfo=TZ)
    with clock.frozen(late):
        assert actions.mark_overdue() == 1
        assert actions.mark_overdue() == 0
    event.refresh_from_db()
    assert (event.status, event.overdue, event.supervised, event.updated_at) == (Status.DISPATCHED, True, True, late)
    rows = list(
        TimelineEntry.objects.filter(event=event, action="overdue").values_list(
            "actor", "from_status", "to_status", "unit", "at"
        )
    )
    assert rows == [(None, Status.DISPATCHED, Status.DISPATCHED, world.sanitation.pk, late)]
    with clock.frozen(datetime(2025, 6, 20, 10, 0, tzinfo=TZ)):
        assert actions.mark_overdue() == 0
    assert TimelineEntry.objects.filter(action="overdue").count() == 1
    assert todo(world.handler)["overdue"] == codes(event)
    assert todo(world.street_dispatcher)["overdue"] == codes(event)
    assert todo(world.handler_city)["overdue"] == set()


def test_it_marks_again_only_after_a_new_deadline_passes(world, events):
    with clock.frozen(TUESDAY):
        event = actions.dispatch(actions.accept(events.g1, by=world.community_staff), by=world.community_staff)
    with clock.frozen(datetime(2025, 6, 12, 11, 0, tzinfo=TZ)):
        assert actions.mark_overdue() == 1
        event = actions.request_extension(event, by=world.handler, hours=14, reason="需协调")
        event = actions.decide_extension(event, by=world.community_staff, approve=True)
    # 14 working hours after the old deadline (Thu 10:00): Mon 10:00.
    assert (event.deadline, event.overdue) == (datetime(2025, 6, 16, 10, 0, tzinfo=TZ), False)
    with clock.frozen(datetime(2025, 6, 16, 9, 0, tzinfo=TZ)):
        assert actions.mark_overdue() == 0
    with clock.frozen(datetime(2025, 6, 16, 10, 30, tzinfo=TZ)):
        assert actions.mark_overdue() == 1
    assert TimelineEntry.objects.filter(event=event, action="overdue").count() == 2


def test_it_leaves_a_still_past_deadline_after_an_extension_to_the_sweep(world, events):
    with clock.frozen(TUESDAY):
        event = actions.dispatch(actions.accept(events.g1, by=world.community_staff), by=world.community_staff)
    with clock.frozen(datetime(2025, 6, 20, 10, 0, tzinfo=TZ)):  # long past, not yet swept
        event = actions.request_extension(event, by=world.handler, hours=4, reason="需协调")
        event = actions.decide_extension(event, by=world.community_staff, approve=True)
        assert (event.deadline, event.overdue, event.supervised) == (
            datetime(2025, 6, 12, 16, 0, tzinfo=TZ),
            False,
            False,
        )
        assert actions.mark_overdue() == 1
    event.refresh_from_db()
    assert (event.overdue, event.supervised) == (True, True)
    assert TimelineEntry.objects.filter(event=event, action="overdue").count() == 1
