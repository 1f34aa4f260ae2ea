"""Monthly assessment: compute -> review -> freeze, appeals and corrections. Every write is here.

A month's scores come from the rollups (one query for every grid worker, one for every unit). An item scores its
weight times its attainment: ``min(1, value / target)`` when higher is better, ``min(1, target / value)`` when
lower is better, full points when there is nothing to rate (no denominator). Deductions: the scheme's points per
overdue cycle and per rework (failed verification, reopen, failed spot check); bonus: points per self-found event,
up to the cap. Ranks are by total within the community, the street and the district.

The assessment office (administrators and district dispatchers) computes, reviews (not the person who computed)
and freezes. A frozen month is never computed again; a scored person appeals an item of a frozen month, and an
accepted appeal is a ``Correction`` beside the score. Each step is a row of the month's timeline (``Entry``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import Role, Unit, User
from shequ.access.scopes import area_prefix
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied

from .indicators import INDICATOR, Kind
from .queries import Period, Scope, breakdown
from .scoring_models import (
    Appeal,
    AppealStatus,
    Correction,
    Entry,
    Month,
    MonthStatus,
    Scheme,
    SchemeItem,
    Score,
    SubjectKind,
)

DEDUCTIONS = "deductions"  # the appeal item for the deductions rather than an indicator


def is_office(user: User) -> bool:
    """The assessment office: who edits schemes and computes, reviews and freezes months."""
    return user.is_authenticated and (user.sees_everything or user.role == Role.DISTRICT_DISPATCHER)


def scores_for(user: User) -> QuerySet[Score]:
    """The scores a user may read: the office all, area staff their area's, a grid worker and a unit their own."""
    qs = Score.objects.select_related("month__scheme")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.sees_everything:
        return qs
    if user.role == Role.UNIT_HANDLER:
        return qs.filter(subject_kind=SubjectKind.UNIT, subject_id=user.unit_id) if user.unit_id else qs.none()
    if user.role == Role.GRID_WORKER:
        return qs.filter(subject_kind=SubjectKind.WORKER, subject_id=user.pk)
    prefix = area_prefix(user)
    if prefix is None or not user.is_staff_role:
        return qs.none()
    return qs.filter(area_code__startswith=prefix)


def get_score_for(user: User, pk: int) -> Score:
    score = scores_for(user).filter(pk=pk).first()
    if score is None:
        raise NotFound()
    return score


def _entry(month: Month, action: str, by: User | None, note: str = "", **links) -> None:
    Entry.objects.create(month=month, action=action, actor=by, note=note, at=clock.now(), **links)


def _office(by: User) -> None:
    if not is_office(by):
        raise PermissionDenied(_("Only the assessment office may do this."))


# --- scoring ------------------------------------------------------------------------------------------------


def attainment(value: float | None, target: float, *, higher_is_better: bool) -> float:
    if value is None:
        return 1.0  # nothing to rate this month: the item is not held against anyone
    if higher_is_better:
        return 1.0 if target <= 0 else min(1.0, value / target)
    return 1.0 if value <= target else (target / value if value > 0 else 1.0)


def score_items(snapshot: dict, sums: dict[str, int]) -> tuple[list[dict], float, float, float]:
    """(items, base, deductions, bonus) for one subject's summed measures under a scheme snapshot."""
    items, base = [], 0.0
    for row in snapshot["items"]:
        indicator = INDICATOR[row["indicator"]]
        value = indicator.value(sums)
        points = row["weight"] * attainment(value, row["target"], higher_is_better=indicator.higher_is_better)
        items.append(
            {
                "indicator": indicator.code,
                "value": value,
                "numerator": sums.get(indicator.numerator, 0),
                "denominator": sums.get(indicator.denominator, 0) if indicator.kind != Kind.COUNT else None,
                "target": row["target"],
                "weight": row["weight"],
                "points": round(points, 2),
            }
        )
        base += points
    reworks = sums.get("verify_failed", 0) + sums.get("reopened", 0) + sums.get("spot_failed", 0)
    deductions = snapshot["overdue_deduction"] * sums.get("cycles_overdue", 0) + snapshot["rework_deduction"] * reworks
    bonus = min(snapshot["bonus_cap"], snapshot["self_found_bonus"] * sums.get("self_found", 0))
    return items, round(base, 2), round(deductions, 2), round(bonus, 2)


def snapshot_of(scheme: Scheme) -> dict:
    return {
        "name": scheme.name,
        "subject": scheme.subject,
        "items": [{"indicator": i.indicator, "weight": i.weight, "target": i.target} for i in scheme.items.all()],
        "overdue_deduction": scheme.overdue_deduction,
        "rework_deduction": scheme.rework_deduction,
        "self_found_bonus": scheme.self_found_bonus,
        "bonus_cap": scheme.bonus_cap,
    }


def _subjects(kind: str) -> list[tuple[int, str, str]]:
    """(id, name, area code) of everyone a scheme scores: active grid workers with a grid, or active units."""
    if kind == SubjectKind.WORKER:
        workers = User.objects.filter(role=Role.GRID_WORKER, is_active=True, region__isnull=False)
        return [(u.pk, u.name or u.username, u.region.code) for u in workers.select_related("region") if u.region]
    units = Unit.objects.filter(active=True).select_related("region")
    return [(u.pk, u.name, u.region.code) for u in units]


def _rank(scores: list[Score], digits: int | None, field: str) -> None:
    groups: dict[str, list[Score]] = {}
    for score in scores:
        groups.setdefault(score.area_code[:digits] if digits else "", []).append(score)
    for members in groups.values():
        members.sort(key=lambda s: -s.total)
        for position, score in enumerate(members):
            tied = position > 0 and members[position - 1].total == score.total
            setattr(score, field, getattr(members[position - 1], field) if tied else position + 1)


@transaction.atomic
def compute(*, scheme: Scheme, month: date, by: User) -> Month:
    """Score everyone the scheme covers for a month (again, while it is not frozen)."""
    _office(by)
    month = month.replace(day=1)
    if month > clock.now().date():
        raise InvalidInput(_("This month has not begun yet."), code="future_month", field="month")
    row, _created = Month.objects.select_for_update().get_or_create(scheme=scheme, month=month)
    if row.frozen:
        raise InvalidTransition(_("This month is frozen: its scores no longer change."), code="month_frozen")
    snapshot = snapshot_of(scheme)
    if not snapshot["items"]:
        raise InvalidInput(_("The scheme has no indicators yet."), code="scheme_empty")
    by_subject = breakdown(Scope(), Period.month(month), "person" if scheme.subject == SubjectKind.WORKER else "unit")
    row.scores.all().delete()
    scores = []
    for pk, name, area in _subjects(scheme.subject):
        items, base, deductions, bonus = score_items(snapshot, by_subject.get(str(pk), {}))
        scores.append(
            Score(
                month=row,
                subject_kind=scheme.subject,
                subject_id=pk,
                name=name,
                area_code=area,
                items=items,
                base=base,
                deductions=deductions,
                bonus=bonus,
                total=round(base - deductions + bonus, 2),
            )
        )
    _rank(scores, 12, "rank_community")
    _rank(scores, 9, "rank_street")
    _rank(scores, None, "rank_district")
    Score.objects.bulk_create(scores)
    row.status, row.scheme_snapshot = MonthStatus.COMPUTED, snapshot
    row.computed_at, row.computed_by = clock.now(), by
    row.reviewed_at = row.reviewed_by = None
    row.save()
    _entry(row, "computed", by, _("%(n)s scores") % {"n": len(scores)})
    audit.record("write", actor=by, target=row, detail={"action": "compute", "scores": len(scores)})
    return row


def _locked(month: Month) -> Month:
    return Month.objects.select_for_update().get(pk=month.pk)


@transaction.atomic
def review(month: Month, *, by: User, note: str = "") -> Month:
    """复核: a second person of the office checks the computed month."""
    _office(by)
    month = _locked(month)
    if month.status != MonthStatus.COMPUTED:
        raise InvalidTransition(_("Only a computed month can be reviewed."), code="not_computed")
    if month.computed_by_id == by.pk:
        raise PermissionDenied(_("The month is reviewed by someone other than who computed it."))
    month.status, month.reviewed_at, month.reviewed_by = MonthStatus.REVIEWED, clock.now(), by
    month.save()
    _entry(month, "reviewed", by, note.strip())
    return month


@transaction.atomic
def freeze(month: Month, *, by: User) -> Month:
    """定稿: the reviewed month's scores are final; from now on only corrections beside them."""
    _office(by)
    month = _locked(month)
    if month.status != MonthStatus.REVIEWED:
        raise InvalidTransition(_("Only a reviewed month can be frozen."), code="not_reviewed")
    month.status, month.frozen_at, month.frozen_by = MonthStatus.FROZEN, clock.now(), by
    month.save()
    _entry(month, "frozen", by)
    audit.record("write", actor=by, target=month, detail={"action": "freeze"})
    return month


# --- appeals and corrections --------------------------------------------------------------------------------


def is_scored(user: User, score: Score) -> bool:
    if score.subject_kind == SubjectKind.WORKER:
        return user.pk == score.subject_id
    return user.role == Role.UNIT_HANDLER and user.unit_id == score.subject_id


@transaction.atomic
def appeal(score: Score, *, by: User, item: str, reason: str) -> Appeal:
    """申诉: the scored grid worker (or a handler of the scored unit) contests one item of a frozen month."""
    if not is_scored(by, score):
        raise PermissionDenied(_("Only the person or unit scored may appeal."))
    if not score.month.frozen:
        raise InvalidTransition(_("Appeals open once the month is frozen."), code="month_not_frozen")
    if item != DEDUCTIONS and item not in {i["indicator"] for i in score.items}:
        raise InvalidInput(_("Choose an item of this score."), code="bad_item", field="item")
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Give the reason for the appeal."), field="reason")
    if score.appeals.filter(item=item, status=AppealStatus.PENDING).exists():
        raise InvalidTransition(_("This item already has an appeal waiting."), code="appeal_pending")
    filed = Appeal.objects.create(score=score, item=item, reason=reason[:2000], by=by, at=clock.now())
    _entry(score.month, "appeal_filed", by, reason[:200], score=score, appeal=filed)
    return filed


@transaction.atomic
def decide(appeal: Appeal, *, by: User, accept: bool, note: str, points: float = 0.0) -> Appeal:
    """The office accepts (giving ``points`` back as a correction) or rejects an appeal, with a note."""
    _office(by)
    appeal = Appeal.objects.select_for_update().select_related("score__month").get(pk=appeal.pk)
    if appeal.status != AppealStatus.PENDING:
        raise InvalidTransition(_("This appeal has been decided already."), code="appeal_decided")
    if appeal.by_id == by.pk:
        raise PermissionDenied(_("An appeal is decided by someone else."))
    note = note.strip()
    if not note:
        raise InvalidInput(_("Say why."), field="note")
    if accept and not 0 < points <= 100:
        raise InvalidInput(_("Give between 0 and 100 points back."), code="bad_points", field="points")
    appeal.status = AppealStatus.ACCEPTED if accept else AppealStatus.REJECTED
    appeal.decided_by, appeal.decided_at, appeal.decision_note = by, clock.now(), note[:2000]
    appeal.save()
    month, score = appeal.score.month, appeal.score
    _entry(month, "appeal_accepted" if accept else "appeal_rejected", by, note[:200], score=score, appeal=appeal)
    if accept:
        Correction.objects.create(score=score, delta=points, reason=note[:2000], appeal=appeal, by=by, at=clock.now())
        _entry(month, "corrected", by, f"+{points:g}", score=score, appeal=appeal)
    audit.record("write", actor=by, target=appeal, detail={"action": "decide", "accept": accept})
    return appeal


@transaction.atomic
def correct(score: Score, *, by: User, delta: float, reason: str) -> Correction:
    """A correction by the office without an appeal (a fact found wrong after freezing): beside the score."""
    _office(by)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Say why."), field="reason")
    if not delta or abs(delta) > 100:
        raise InvalidInput(_("Give between -100 and 100 points, not 0."), code="bad_points", field="delta")
    made = Correction.objects.create(score=score, delta=delta, reason=reason[:2000], by=by, at=clock.now())
    _entry(score.month, "corrected", by, f"{delta:+g} {reason[:180]}", score=score)
    return made


# --- schemes: edited by the office --------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemInput:
    indicator: str
    weight: float
    target: float


# A scheme to start from: the three published rates, on-time handling and rework, 100 points in all.
DEFAULT_ITEMS = {
    SubjectKind.WORKER: (
        ItemInput("response_rate", 20, 0.95),
        ItemInput("on_time_rate", 20, 0.9),
        ItemInput("closure_rate", 20, 0.9),
        ItemInput("satisfaction_rate", 20, 0.9),
        ItemInput("spot_fail_rate", 20, 0.05),
    ),
    SubjectKind.UNIT: (
        ItemInput("on_time_rate", 30, 0.9),
        ItemInput("overdue_rate", 20, 0.05),
        ItemInput("rework_rate", 20, 0.1),
        ItemInput("satisfaction_rate", 30, 0.9),
    ),
}


@transaction.atomic
def save_scheme(
    scheme: Scheme | None,
    *,
    by: User,
    name: str,
    subject: str,
    items: list[ItemInput],
    overdue_deduction: float = 1.0,
    rework_deduction: float = 1.0,
    self_found_bonus: float = 0.5,
    bonus_cap: float = 10.0,
    active: bool = True,
) -> Scheme:
    """Create or edit a scheme. Months already computed keep the scheme as it was (their snapshot)."""
    _office(by)
    name = name.strip()
    if not name:
        raise InvalidInput(_("Give the scheme a name."), field="name")
    if subject not in SubjectKind.values or (scheme is not None and scheme.subject != subject):
        raise InvalidInput(_("Choose grid workers or units (it cannot change later)."), field="subject")
    if not items:
        raise InvalidInput(_("Choose at least one indicator."), code="scheme_empty", field="items")
    if len({i.indicator for i in items}) != len(items):
        raise InvalidInput(_("Each indicator once."), code="bad_item", field="items")
    for item in items:
        indicator = INDICATOR.get(item.indicator)
        if indicator is None:
            raise InvalidInput(_("Unknown indicator %(code)s.") % {"code": item.indicator}, field="items")
        if not 0 < item.weight <= 100:
            raise InvalidInput(_("A weight is between 0 and 100 points."), code="bad_weight", field="items")
        if item.target < 0 or (indicator.kind == Kind.RATE and item.target > 1):
            raise InvalidInput(_("A rate's target is between 0 and 100%."), code="bad_target", field="items")
    for value in (overdue_deduction, rework_deduction, self_found_bonus, bonus_cap):
        if not 0 <= value <= 100:
            raise InvalidInput(_("Deductions and bonuses are between 0 and 100 points."), code="bad_points")
    scheme = scheme or Scheme(subject=subject)
    scheme.name, scheme.active = name[:100], active
    scheme.overdue_deduction, scheme.rework_deduction = overdue_deduction, rework_deduction
    scheme.self_found_bonus, scheme.bonus_cap = self_found_bonus, bonus_cap
    scheme.updated_at = clock.now()
    scheme.save()
    scheme.items.all().delete()
    SchemeItem.objects.bulk_create(
        [
            SchemeItem(scheme=scheme, indicator=i.indicator, weight=i.weight, target=i.target, position=n)
            for n, i in enumerate(items)
        ]
    )
    audit.record("write", actor=by, target=scheme, detail={"action": "save_scheme", "items": len(items)})
    return scheme


def drift(month: Month) -> dict[int, float]:
    """What each score's total would be if computed now, where it differs from the stored one: later changes
    to the timelines (a reopened event, a late rating) shown beside a frozen month, never written into it."""
    by_subject = breakdown(Scope(), Period.month(month.month), "person" if month.scheme.subject == "worker" else "unit")
    found = {}
    for score in month.scores.all():
        _items, base, deductions, bonus = score_items(month.scheme_snapshot, by_subject.get(str(score.subject_id), {}))
        now = round(base - deductions + bonus, 2)
        if abs(now - score.total) > 0.005:
            found[score.pk] = now
    return found
