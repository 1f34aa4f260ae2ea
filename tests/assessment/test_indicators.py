"""Each indicator on hand-built timelines: working time across the 2025 National Day holiday, overdue marks from
the deadline sweep, failed verifications, ratings and a reopened event."""

from __future__ import annotations

from datetime import date

import pytest

from shequ.assessment import rollups
from shequ.assessment.indicators import INDICATOR, values
from shequ.assessment.models import ResponseLimit
from shequ.assessment.queries import Period, Scope, totals
from shequ.events.models import Channel

from .story import Story

pytestmark = pytest.mark.django_db
OCTOBER = Period(date(2025, 9, 1), date(2025, 10, 31))


EVERYWHERE = Scope()


def figures(scope: Scope = EVERYWHERE, period: Period = OCTOBER) -> dict:
    rollups.fold()
    return values(totals(scope, period))


def test_it_counts_response_in_working_hours_across_the_holiday(world):
    # 2 working hours to respond (the default). Friday 10:00 -> 11:30: 1.5 h.
    Story(world).report("2025-09-26 10:00").accept("2025-09-26 11:30")
    # Tuesday 17:00 before Golden Week -> Thursday 9 October 09:30: 1 h + 0.5 h of working time, 9 days later.
    Story(world).report("2025-09-30 17:00").accept("2025-10-09 09:30")
    # 10:00 -> 15:00 the same day: 2 h before lunch + 1 h after = 3 h, too slow.
    Story(world).report("2025-09-26 10:00").accept("2025-09-26 15:00")
    # Never accepted (still waiting): counts against the rate; a rejected one does not count at all.
    Story(world).report("2025-09-26 10:00")
    Story(world).report("2025-09-26 10:00").reject("2025-09-26 10:05")
    sums = totals(Scope(), OCTOBER) if rollups.fold() else None
    assert sums is not None
    assert (sums["reported"], sums["accepted"], sums["rejected"]) == (5, 3, 1)
    assert (sums["responded"], sums["response_base"]) == (2, 4)
    assert values(sums)["response_rate"] == pytest.approx(0.5)


def test_a_level_may_have_its_own_response_limit(world):
    ResponseLimit.objects.create(level=world.general, hours=4)
    Story(world).report("2025-09-26 10:00").accept("2025-09-26 15:00")  # 3 working hours
    assert figures()["response_rate"] == 1.0


def test_overdue_cycles_and_on_time_handling_follow_the_deadline_sweep(world):
    # Litter: 2 working days. Dispatched Friday 26 Sep 10:00: Sunday 28 Sep is an adjusted working day, so it is
    # due on Monday 29 Sep 10:00.
    late = Story(world).report("2025-09-26 09:00").accept("2025-09-26 09:30").dispatch("2025-09-26 10:00")
    assert late.event.deadline.isoformat().startswith("2025-09-29T10:00")
    late.sweep("2025-09-29 11:00").handle("2025-09-29 14:00")
    # Dispatched Tuesday 30 Sep 17:00: two working days are 9 and 10 October, the holiday skipped.
    early = Story(world).report("2025-09-30 16:00").accept("2025-09-30 16:30").dispatch("2025-09-30 17:00")
    assert early.event.deadline.isoformat().startswith("2025-10-10T17:00")
    early.sweep("2025-10-08 17:00").handle("2025-10-09 10:00")
    found = figures()
    assert found["overdue_rate"] == pytest.approx(0.5)
    assert found["on_time_rate"] == pytest.approx(0.5)


def test_rework_closure_satisfaction_and_hours_to_close(world):
    s = Story(world).report("2025-09-26 09:00").accept("2025-09-26 09:10").dispatch("2025-09-26 09:20")
    s.handle("2025-09-26 11:00").verify("2025-09-26 11:30", passed=False)  # rework: a new cycle
    s.handle("2025-09-30 16:00").verify("2025-10-09 10:00")  # closed after the holiday
    s.rate("2025-10-09 12:00", 5)
    other = Story(world).report("2025-10-09 09:00").accept("2025-10-09 09:05")  # accepted, still open
    assert other.event.status == "accepted"
    found = figures()
    assert found["rework_rate"] == pytest.approx(0.5)  # 1 failed of 2 verifications
    assert found["closure_rate"] == pytest.approx(0.5)  # 1 of 2 accepted events closed
    assert found["satisfaction_rate"] == 1.0
    assert found["closed"] == 1
    # 26 Sep 09:00-12:00, 14:00-18:00 (7 h) + 28, 29, 30 Sep (3 x 7 h) + 9 Oct 09:00-10:00 (1 h) = 29 h.
    assert found["close_hours"] == pytest.approx(29.0)


def test_a_reopened_event_counts_its_reopen_and_both_ratings(world):
    s = Story(world).report("2025-10-09 09:00").accept("2025-10-09 09:10").dispatch("2025-10-09 09:20")
    s.handle("2025-10-09 10:00").verify("2025-10-09 10:30").rate("2025-10-09 11:00", 1, reopen=True)
    assert s.event.status == "dispatched" and s.event.rating is None
    found = figures()
    assert (found["reopened"], found["closed"]) == (1, 1)
    assert found["closure_rate"] == 0.0  # reopened: not closed now
    assert found["satisfaction_rate"] == 0.0
    s.handle("2025-10-10 09:00").verify("2025-10-10 09:30").rate("2025-10-10 10:00", 5)
    found = figures()
    assert (found["reopened"], found["closed"], found["closure_rate"]) == (1, 2, 1.0)
    assert found["satisfaction_rate"] == pytest.approx(0.5)  # the 1-star rating stays counted
    # Two cycles: the dispatch and the reopen.
    assert totals(Scope(), OCTOBER)["cycles"] == 2


def test_a_grid_workers_own_figures(world):
    Story(world, by=world.grid_worker, channel=Channel.GRID_WORKER).report("2025-10-09 09:00").accept(
        "2025-10-09 09:30"
    )
    Story(world).report("2025-10-09 09:00").accept("2025-10-09 09:30").dispatch("2025-10-09 10:00").handle(
        "2025-10-09 11:00"
    ).verify("2025-10-09 14:30", by=world.grid_worker)
    mine = figures(Scope(person=world.grid_worker.pk))
    assert (mine["reported"], mine["accepted"], mine["self_found"]) == (1, 1, 1)
    assert mine["verifications_done"] == 1
    assert figures(Scope(person=world.grid_worker_g2.pk))["reported"] == 0


def test_units_and_areas_see_their_own_share(world):
    Story(world).report("2025-10-09 09:00").accept("2025-10-09 09:30").dispatch("2025-10-09 10:00")  # C1: sanitation
    Story(world, grid=world.g4).report("2025-10-09 09:00").accept("2025-10-09 09:30").dispatch("2025-10-09 10:00")
    assert figures(Scope(unit=world.sanitation.pk))["reported"] == 1
    assert figures(Scope(unit=world.city_mgmt.pk))["reported"] == 1
    assert figures(Scope(area=world.c1.code))["reported"] == 1
    assert figures(Scope(area=world.g1.code))["reported"] == 1
    assert figures(Scope(area=world.g2.code))["reported"] == 0
    assert figures(Scope(area=world.s1.code))["reported"] == 2
    assert INDICATOR["reported"].formula() == "Σ reported"
