"""Points (积分): the rules, earning by them, and garbage-sorting checks. Redeeming is in ``shop``.

Rules:
- Points come from the community's pool by the most specific rule for the trigger (the community's own, else its
  street's, else the district's); no rule, or an inactive one, no points.
- Each earning has a key naming what earned it (an attendance, a check, a closed report, a proposal and person),
  so it is paid once, whatever retries or sweeps happen.
- Volunteering earns the rule's points per hour, pro rata by whole minutes (rounded down).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput, PermissionDenied
from shequ.events.models import Channel, Event, Status
from shequ.geo.models import Region, RegionLevel
from shequ.registry.models import Person
from shequ.registry.queries import current_residences, scoped_people

from . import ledger, scopes
from .ledger import POINTS
from .models import PointsRule, PointsTransfer, SortingCheck, Trigger

LEVEL_LENGTHS = (6, 9, 12)
# Closed reports are looked for this far back by the sweep (each is paid once, by its key, however often it runs).
CLOSED_WINDOW = timedelta(days=30)


def rule_for(community: Region, trigger: str) -> PointsRule | None:
    prefixes = [community.code[:n] for n in LEVEL_LENGTHS if n <= len(community.code)]
    rules = PointsRule.objects.filter(region__code__in=prefixes, trigger=trigger).select_related("region")
    ordered = sorted(rules, key=lambda r: len(r.region.code), reverse=True)
    # The most specific rule holds even when inactive: a community can turn off its street's rule.
    return ordered[0] if ordered and ordered[0].active else None


@transaction.atomic
def set_rule(*, by: User, region: Region, trigger: str, points: int, active: bool = True) -> PointsRule:
    """Configure a trigger's points in a region the user manages (a street or district rule holds for every
    community below it that has none of its own)."""
    if region.level == RegionLevel.GRID or not scopes.manages(by, region):
        raise PermissionDenied(_("You may set rules only for regions you manage."), code="not_a_manager")
    if trigger not in Trigger.values:
        raise InvalidInput(_("Unknown trigger."), code="bad_trigger", field="trigger")
    if not isinstance(points, int) or points < 0 or points > 100_000:
        raise InvalidInput(_("Points must be a whole number from 0 to 100000."), code="bad_points", field="points")
    rule, _created = PointsRule.objects.update_or_create(
        region=region,
        trigger=trigger,
        defaults={"points": points, "active": active, "updated_by": by, "updated_at": clock.now()},
    )
    audit.record("write", actor=by, target=rule, detail={"action": "points_rule", "points": points, "active": active})
    return rule


def _amount(rule: PointsRule, quantity: int) -> int:
    if rule.trigger == Trigger.VOLUNTEER_HOUR:
        return rule.points * quantity // 60  # quantity: minutes
    return rule.points * quantity


@transaction.atomic
def award(
    *, person: Person, community: Region, trigger: str, key: str, quantity: int = 1, by: User | None = None
) -> PointsTransfer | None:
    """Pay the rule's points once for ``key``; None when no rule applies or it pays nothing."""
    rule = rule_for(community, trigger)
    if rule is None:
        return None
    amount = _amount(rule, quantity)
    if amount <= 0:
        return None
    return ledger.post(
        POINTS,
        debit=ledger.pool_account(POINTS, community),
        credit=ledger.person_account(POINTS, person),
        amount=amount,
        kind="earn",
        key=f"points:{key}",
        by=by,
        memo=str(Trigger(trigger).label),
    )


def take_back(*, key: str, by: User | None, reason: str) -> PointsTransfer | None:
    """Reverse what ``key`` earned (a corrected attendance); nothing when it earned nothing."""
    earned = PointsTransfer.objects.filter(key=f"points:{key}").first()
    if earned is None:
        return None
    return ledger.reverse(POINTS, earned, by=by, reason=reason)


def joined_deliberation(*, person: Person, proposal) -> PointsTransfer | None:  # type: ignore[no-untyped-def]
    """Supporting, posting or voting: points once per proposal and person."""
    return award(
        person=person,
        community=proposal.community,
        trigger=Trigger.DELIBERATION,
        key=f"deliberation:{proposal.pk}:{person.pk}",
    )


# --- garbage-sorting checks -----------------------------------------------------------------------------------


@transaction.atomic
def record_sorting_check(*, by: User, person: Person, passed: bool, note: str = "") -> SortingCheck:
    """A grid worker or staff member records a check of a resident living in their area; a pass earns points."""
    if not by.is_staff_role or not scoped_people(by).filter(pk=person.pk).exists():
        raise PermissionDenied(_("This resident does not live in your area."), code="outside_area")
    residence = (
        current_residences().filter(person=person).select_related("dwelling__building__grid").order_by("pk").first()
    )
    assert residence is not None  # scoped_people holds only people with a current home here
    grid = residence.dwelling.building.grid
    community = Region.objects.get(code=grid.code[: scopes.COMMUNITY_CODE])
    check = SortingCheck.objects.create(
        person=person,
        dwelling=residence.dwelling,
        community=community,
        passed=bool(passed),
        note=(note or "").strip()[:200],
        by=by,
        checked_at=clock.now(),
    )
    if check.passed:
        award(person=person, community=community, trigger=Trigger.SORTING_CHECK, key=f"sorting:{check.pk}", by=by)
    return check


# --- reports that were closed ----------------------------------------------------------------------------------


def award_closed_reports(*, now=None) -> int:  # type: ignore[no-untyped-def]
    """Points for residents whose reports (through the portal, by their linked account) were closed recently: a
    closed event is a real problem solved; a rejected one earns nothing. Once per event."""
    since = (now or clock.now()) - CLOSED_WINDOW
    rows = list(
        Event.objects.filter(
            status=Status.CLOSED,
            channel=Channel.RESIDENT,
            closed_at__gte=since,
            reporter__person__isnull=False,
            reporter__person__merged_into__isnull=True,
        ).values_list("pk", "community_id", "reporter__person")
    )
    if not rows:
        return 0
    paid = set(
        PointsTransfer.objects.filter(key__in=[f"points:event:{pk}" for pk, _c, _p in rows]).values_list(
            "key", flat=True
        )
    )
    communities = {r.pk: r for r in Region.objects.filter(pk__in={c for _pk, c, _p in rows})}
    people = {p.pk: p for p in Person.objects.filter(pk__in={p for _pk, _c, p in rows})}
    count = 0
    for pk, community_id, person_id in rows:
        if f"points:event:{pk}" in paid:
            continue
        done = award(
            person=people[person_id],
            community=communities[community_id],
            trigger=Trigger.PROBLEM_CLOSED,
            key=f"event:{pk}",
        )
        count += done is not None
    return count
