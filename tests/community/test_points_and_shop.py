"""Points rules, earning (sorting checks, closed reports, deliberation), the shop, redemptions and statements."""

from __future__ import annotations

import pytest

from shequ.community import ledger, points, queries, shop
from shequ.community.ledger import POINTS, LedgerRefused
from shequ.community.models import PointsRule, PointsTransfer, Redemption, ShopItem, Trigger
from shequ.core.errors import InvalidTransition, NotFound, PermissionDenied
from shequ.events import actions as events
from shequ.events.models import Channel, Status
from shequ.registry import actions as registry

from .conftest import person_in


def test_the_most_specific_rule_holds_and_an_inactive_one_turns_it_off(world):
    points.set_rule(by=world.district_dispatcher, region=world.district, trigger=Trigger.SORTING_CHECK, points=2)
    assert points.rule_for(world.c1, Trigger.SORTING_CHECK).points == 2
    points.set_rule(by=world.community_staff, region=world.c1, trigger=Trigger.SORTING_CHECK, points=5)
    assert points.rule_for(world.c1, Trigger.SORTING_CHECK).points == 5
    assert points.rule_for(world.c3, Trigger.SORTING_CHECK).points == 2
    points.set_rule(by=world.community_staff, region=world.c1, trigger=Trigger.SORTING_CHECK, points=5, active=False)
    assert points.rule_for(world.c1, Trigger.SORTING_CHECK) is None
    with pytest.raises(PermissionDenied):
        points.set_rule(by=world.community_staff, region=world.c3, trigger=Trigger.SORTING_CHECK, points=9)
    assert PointsRule.objects.count() == 2


def test_a_passed_sorting_check_earns_points_a_failed_one_none(world):
    points.set_rule(by=world.community_staff, region=world.c1, trigger=Trigger.SORTING_CHECK, points=5)
    resident = person_in(world.g1)
    points.record_sorting_check(by=world.grid_worker, person=resident, passed=True)
    points.record_sorting_check(by=world.grid_worker, person=resident, passed=False, note="未分类")
    assert ledger.person_account(POINTS, resident).balance == 5
    with pytest.raises(PermissionDenied):
        points.record_sorting_check(by=world.grid_worker_g2, person=resident, passed=True)


def _closed_report(world, resident):
    event = events.report(
        by=resident.account, channel=Channel.RESIDENT, description="路灯坏了", category=None, region=world.g1
    )
    event = events.accept(event, by=world.community_staff, category=world.litter)
    event = events.dispatch(event, by=world.community_staff)
    event = events.handle(event, by=world.handler, result="已修复")
    return events.verify(event, by=world.grid_worker, passed=True)


def test_a_closed_report_earns_points_once_and_a_rejected_one_none(world):
    points.set_rule(by=world.community_staff, region=world.c1, trigger=Trigger.PROBLEM_CLOSED, points=20)
    resident = person_in(world.g1)
    closed = _closed_report(world, resident)
    assert closed.status == Status.CLOSED
    rejected = events.report(
        by=resident.account, channel=Channel.RESIDENT, description="重复", category=None, region=world.g1
    )
    events.reject(rejected, by=world.community_staff, reason="重复上报")
    assert points.award_closed_reports() == 1
    assert points.award_closed_reports() == 0
    assert ledger.person_account(POINTS, resident).balance == 20
    assert PointsTransfer.objects.filter(key=f"points:event:{closed.pk}").count() == 1


def _funded(world, amount=100):
    resident = person_in(world.g1, account=world.resident)
    ledger.post(
        POINTS,
        debit=ledger.pool_account(POINTS, world.c1),
        credit=ledger.person_account(POINTS, resident),
        amount=amount,
        kind="earn",
        key=f"seed:{resident.pk}",
        by=None,
    )
    return resident


@pytest.fixture
def merchant(world):
    org = registry.create_organization(by=None, source=registry.MANUAL, name="幸福超市")
    from tests.community.conftest import dwelling

    org.premises = dwelling(world.g1)
    org.save()
    return shop.add_merchant(by=world.community_staff, organization=org, community=world.c1)


def test_redeeming_moves_points_holds_stock_and_a_retry_redeems_once(world, merchant):
    resident = _funded(world)
    item = shop.add_item(
        by=world.community_staff, community=world.c1, name="洗衣液", points=40, stock=2, merchant=merchant
    )
    first = shop.redeem(item, by=world.resident, key="tap-1")
    again = shop.redeem(item, by=world.resident, key="tap-1")
    assert first.pk == again.pk and len(first.code) == 8
    item.refresh_from_db()
    assert item.stock == 1
    assert ledger.person_account(POINTS, resident).balance == 60
    assert ledger.merchant_account(merchant).balance == 40
    shop.redeem(item, by=world.resident, key="tap-2")
    with pytest.raises(InvalidTransition) as e:
        shop.redeem(item, by=world.resident, key="tap-3")
    assert e.value.code == "sold_out"
    assert ShopItem.objects.get(pk=item.pk).stock == 0
    assert ledger.verify(POINTS).ok


def test_not_enough_points_redeems_nothing(world, merchant):
    resident = _funded(world, 10)
    item = shop.add_item(
        by=world.community_staff, community=world.c1, name="大米", points=40, stock=3, merchant=merchant
    )
    with pytest.raises(LedgerRefused):
        shop.redeem(item, by=world.resident, key="k")
    assert ShopItem.objects.get(pk=item.pk).stock == 3 and not Redemption.objects.exists()
    assert ledger.person_account(POINTS, resident).balance == 10


def test_the_merchant_confirms_with_the_code_and_a_cancelled_one_is_reversed(world, merchant):
    resident = _funded(world)
    item = shop.add_item(
        by=world.community_staff, community=world.c1, name="毛巾", points=30, stock=5, merchant=merchant
    )
    r1 = shop.redeem(item, by=world.resident, key="a")
    r2 = shop.redeem(item, by=world.resident, key="b")
    with pytest.raises(NotFound):
        shop.pending_by_code("00000000" if r1.code != "00000000" else "11111111", merchant=merchant)
    found = shop.pending_by_code(r1.code, merchant=merchant)
    assert shop.confirm(found, by=None, merchant=merchant).state == Redemption.State.CONFIRMED
    with pytest.raises(InvalidTransition):
        shop.cancel(r1, by=world.resident)
    shop.cancel(r2, by=world.resident)
    assert ledger.person_account(POINTS, resident).balance == 70
    assert ShopItem.objects.get(pk=item.pk).stock == 4
    assert ledger.verify(POINTS).ok


def test_the_monthly_statement_has_opening_lines_and_closing(world, merchant):
    resident = _funded(world, 100)
    item = shop.add_item(
        by=world.community_staff, community=world.c1, name="香皂", points=25, stock=5, merchant=merchant
    )
    shop.redeem(item, by=world.resident, key="s")
    statement = queries.monthly_statement(resident)["points"]
    assert (statement.opening, statement.received, statement.spent, statement.closing) == (0, 100, 25, 75)
    assert [line.amount for line in statement.lines] == [100, -25]
