"""Hours within a family, grants from the pool, help paid in hours, corrections by staff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shequ.community import ledger, timebank
from shequ.community.ledger import TIME, LedgerRefused
from shequ.community.models import HelpRequest, TimeTransfer
from shequ.core import clock
from shequ.core.errors import InvalidTransition, PermissionDenied
from shequ.registry import actions as registry

from .conftest import dwelling, person_in, volunteer_of


@pytest.fixture
def family(world):
    home = dwelling(world.g1)
    household = registry.create_household(home, number="H1", by=None, source=registry.MANUAL)
    grandma = person_in(world.g1, account=world.resident, home=home, household=household, name="王奶奶")
    son = person_in(world.g1, home=home, household=household, role="family", name="王先生")
    return household, grandma, son


def test_hours_move_within_the_household_only(world, family):
    household, grandma, son = family
    timebank.grant(by=world.community_staff, community=world.c1, person=son, minutes=120, reason="志愿补贴", key="g1")
    timebank.family_transfer(by=son.account, to_person=grandma, minutes=60, key="f1")
    timebank.family_transfer(by=son.account, to_household=household, minutes=30, key="f2")
    timebank.family_transfer(by=world.resident, from_household=household, minutes=10, key="f3")
    assert ledger.person_account(TIME, grandma).balance == 70
    assert ledger.household_account(household).balance == 20
    stranger = person_in(world.g1)
    with pytest.raises(PermissionDenied):
        timebank.family_transfer(by=son.account, to_person=stranger, minutes=5, key="f4")
    with pytest.raises(LedgerRefused):
        timebank.family_transfer(by=son.account, to_person=grandma, minutes=31, key="f5")
    # The same key again (a double tap) moves nothing more.
    timebank.family_transfer(by=son.account, to_person=grandma, minutes=60, key="f1")
    assert ledger.person_account(TIME, son).balance == 30 and ledger.verify(TIME).ok


def test_only_managers_grant_and_only_to_their_residents(world, family):
    _household, grandma, _son = family
    with pytest.raises(PermissionDenied):
        timebank.grant(by=world.community_staff_c3, community=world.c1, person=grandma, minutes=5, reason="x", key="a")
    far = person_in(world.g3)
    with pytest.raises(Exception):  # noqa: B017  (InvalidInput: the resident lives elsewhere)
        timebank.grant(by=world.community_staff, community=world.c1, person=far, minutes=5, reason="x", key="b")
    assert not TimeTransfer.objects.exists()


def test_help_is_paid_in_hours_when_the_requester_confirms(world, family):
    household, _grandma, _son = family
    helper = volunteer_of(world, person_in(world.g2))
    timebank.grant(
        by=world.community_staff, community=world.c1, household=household, minutes=90, reason="高龄", key="h"
    )
    request = timebank.request_help(
        by=world.resident, title="陪同就医", wanted_at=clock.now() + timedelta(days=1), minutes=90, pay_from="household"
    )
    with pytest.raises(InvalidTransition):
        timebank.confirm_help(request, by=world.resident)
    timebank.take_help(request, by=helper.person.account)
    with pytest.raises(InvalidTransition):
        timebank.take_help(request, by=volunteer_of(world, person_in(world.g1)).person.account)
    with pytest.raises(PermissionDenied):
        timebank.confirm_help(request, by=helper.person.account)
    done = timebank.confirm_help(request, by=world.resident, minutes=80)
    assert done.state == HelpRequest.State.DONE and done.transfer.amount == 80
    assert ledger.person_account(TIME, helper.person).balance == 80
    assert ledger.household_account(household).balance == 10


def test_help_beyond_the_balance_is_refused_and_stays_taken(world, family):
    _household, _grandma, _son = family
    helper = volunteer_of(world, person_in(world.g2))
    request = timebank.request_help(by=world.resident, title="买菜", wanted_at=clock.now(), minutes=30)
    timebank.take_help(request, by=helper.person.account)
    with pytest.raises(LedgerRefused):
        timebank.confirm_help(request, by=world.resident)
    assert HelpRequest.objects.get(pk=request.pk).state == HelpRequest.State.TAKEN


def test_staff_correct_a_pool_posting_by_reversing_it(world, family):
    _household, grandma, _son = family
    t = timebank.grant(by=world.community_staff, community=world.c1, person=grandma, minutes=45, reason="补录", key="c")
    with pytest.raises(PermissionDenied):
        timebank.correct(t, by=world.community_staff_c3, reason="错")
    back = timebank.correct(t, by=world.community_staff, reason="重复补录")
    assert back.reverses_id == t.pk and ledger.person_account(TIME, grandma).balance == 0
