"""Monthly assessment: a scheme scores grid workers, ranks them, a month is computed, reviewed by someone else and
frozen; a frozen month never changes (later changes show beside it); appeals and corrections keep a timeline."""

from __future__ import annotations

from datetime import date

import pytest

from shequ.assessment import rollups, scoring
from shequ.assessment.scoring import ItemInput
from shequ.assessment.scoring_models import AppealStatus, MonthStatus, Score
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied
from shequ.events.models import Channel

from .story import Story, at

pytestmark = pytest.mark.django_db
OCTOBER = date(2025, 10, 1)


@pytest.fixture
def scheme(world):
    return scoring.save_scheme(
        None,
        by=world.admin,
        name="网格员月度考核",
        subject="worker",
        items=[ItemInput("closure_rate", 60, 0.9), ItemInput("response_rate", 40, 1.0)],
        overdue_deduction=2,
        rework_deduction=3,
        self_found_bonus=1,
        bonus_cap=5,
    )


@pytest.fixture
def october(world):
    """The grid worker of G1 reports two events themself: one closed after a failed verification, one open."""
    found = Story(world, by=world.grid_worker, channel=Channel.GRID_WORKER)
    found.report("2025-10-09 09:00").accept("2025-10-09 09:30").dispatch("2025-10-09 10:00")
    found.handle("2025-10-09 11:00").verify("2025-10-09 14:00", passed=False, by=world.community_staff)
    found.handle("2025-10-10 11:00").verify("2025-10-10 14:00", by=world.community_staff)
    still_open = Story(world, by=world.grid_worker, channel=Channel.GRID_WORKER)
    still_open.report("2025-10-20 09:00").accept("2025-10-20 09:30").dispatch("2025-10-20 10:00")
    rollups.fold()
    return still_open


def compute(world, scheme):
    with clock.frozen(at("2025-11-03 09:00")):
        return scoring.compute(scheme=scheme, month=OCTOBER, by=world.admin)


def test_a_month_scores_and_ranks_grid_workers(world, scheme, october):
    month = compute(world, scheme)
    score = Score.objects.get(month=month, subject_id=world.grid_worker.pk)
    items = {i["indicator"]: i for i in score.items}
    assert (items["closure_rate"]["numerator"], items["closure_rate"]["denominator"]) == (1, 2)
    assert items["closure_rate"]["points"] == pytest.approx(60 * 0.5 / 0.9, abs=0.01)
    assert items["response_rate"]["points"] == 40  # both accepted within half an hour
    assert score.deductions == 3  # one rework
    assert score.bonus == 2  # two self-found events
    assert score.total == pytest.approx(score.base - 3 + 2, abs=0.01)
    idle = Score.objects.get(month=month, subject_id=world.grid_worker_g2.pk)
    assert idle.total == 100  # nothing to rate: full points
    assert (idle.rank_community, score.rank_community) == (1, 2)
    assert score.rank_district == 2


def test_compute_review_freeze_and_a_frozen_month_never_changes(world, scheme, october):
    month = compute(world, scheme)
    with pytest.raises(PermissionDenied):
        scoring.review(month, by=world.admin)  # not who computed it
    with pytest.raises(PermissionDenied):
        scoring.compute(scheme=scheme, month=OCTOBER, by=world.street_dispatcher)
    with pytest.raises(InvalidTransition):
        scoring.freeze(month, by=world.district_dispatcher)  # not reviewed yet
    month = scoring.review(month, by=world.district_dispatcher, note="已核对")
    month = scoring.freeze(month, by=world.admin)
    assert month.status == MonthStatus.FROZEN
    before = list(Score.objects.filter(month=month).values_list("subject_id", "total", "items"))
    # November: the open October event is closed, so October's closure rate would now be 2 of 2.
    october.handle("2025-11-04 10:00").verify("2025-11-04 14:00", by=world.community_staff)
    rollups.fold()
    with pytest.raises(InvalidTransition):
        compute(world, scheme)
    scheme.items.all().delete()  # editing the scheme does not touch the month either
    assert list(Score.objects.filter(month=month).values_list("subject_id", "total", "items")) == before
    mine = Score.objects.get(month=month, subject_id=world.grid_worker.pk)
    assert scoring.drift(month) == {mine.pk: pytest.approx(mine.total + 60 - 60 * 0.5 / 0.9, abs=0.01)}
    assert [e.action for e in month.entries.all()] == ["computed", "reviewed", "frozen"]


def test_an_appeal_is_decided_with_a_note_and_the_timeline_shows_both(world, scheme, october):
    month = compute(world, scheme)
    score = Score.objects.get(month=month, subject_id=world.grid_worker.pk)
    with pytest.raises(InvalidTransition):
        scoring.appeal(score, by=world.grid_worker, item="deductions", reason="返工系天气原因")
    scoring.freeze(scoring.review(month, by=world.district_dispatcher), by=world.admin)
    score.refresh_from_db()
    with pytest.raises(PermissionDenied):
        scoring.appeal(score, by=world.grid_worker_g2, item="deductions", reason="不是本人")
    with pytest.raises(InvalidInput):
        scoring.appeal(score, by=world.grid_worker, item="satisfaction_rate", reason="不在方案内")
    first = scoring.appeal(score, by=world.grid_worker, item="deductions", reason="返工系暴雨所致")
    with pytest.raises(InvalidTransition):
        scoring.appeal(score, by=world.grid_worker, item="deductions", reason="再次申诉")
    with pytest.raises(InvalidInput):
        scoring.decide(first, by=world.admin, accept=True, note="", points=3)
    scoring.decide(first, by=world.admin, accept=True, note="暴雨期间属实", points=3)
    second = scoring.appeal(score, by=world.grid_worker, item="closure_rate", reason="另一件尚在处置期内")
    scoring.decide(second, by=world.district_dispatcher, accept=False, note="按方案计入")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (AppealStatus.ACCEPTED, AppealStatus.REJECTED)
    score.refresh_from_db()
    assert score.corrected_total == pytest.approx(score.total + 3)
    entries = [(e.action, e.note) for e in month.entries.all()]
    assert entries[3:] == [
        ("appeal_filed", "返工系暴雨所致"),
        ("appeal_accepted", "暴雨期间属实"),
        ("corrected", "+3"),
        ("appeal_filed", "另一件尚在处置期内"),
        ("appeal_rejected", "按方案计入"),
    ]


def test_a_scheme_is_checked_when_saved(world):
    with pytest.raises(InvalidInput):
        scoring.save_scheme(None, by=world.admin, name="x", subject="worker", items=[ItemInput("nope", 10, 1)])
    with pytest.raises(InvalidInput):
        scoring.save_scheme(None, by=world.admin, name="x", subject="worker", items=[ItemInput("closure_rate", 10, 90)])
    with pytest.raises(PermissionDenied):
        scoring.save_scheme(None, by=world.street_dispatcher, name="x", subject="unit", items=[])
