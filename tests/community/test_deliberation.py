"""Proposals, support, the moderated thread, votes by the Civil Code with delegation, decisions and follow-up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shequ.community import deliberation, ledger, points, voting
from shequ.community.ledger import POINTS
from shequ.community.models import Ballot, Decision, Matter, Post, Proposal, Trigger, Vote
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied
from shequ.registry import actions as registry

from .conftest import building_in, dwelling, person_in


@pytest.fixture
def proposal(world, settings):
    settings.SHEQU_PROPOSAL_SUPPORT = 2
    raiser = person_in(world.g2)
    p = deliberation.raise_proposal(by=raiser.account, community=world.c1, title="加装电梯", body="三栋老人上下楼难。")
    return p, raiser


def test_phone_numbers_stay_out_of_proposals(world):
    person_in(world.g1, account=world.resident)
    with pytest.raises(InvalidInput) as e:
        deliberation.raise_proposal(by=world.resident, community=world.c1, title="修路", body="联系我 138 1234 5678")
    assert e.value.code == "phone_in_text" and not Proposal.objects.exists()


def test_support_puts_it_on_the_agenda_and_earns_points_once(world, proposal):
    p, _raiser = proposal
    points.set_rule(by=world.community_staff, region=world.c1, trigger=Trigger.DELIBERATION, points=3)
    a, b = person_in(world.g1), person_in(world.g2)
    deliberation.support(p, by=a.account)
    with pytest.raises(InvalidTransition):
        deliberation.support(p, by=a.account)
    deliberation.post(p, by=a.account, body="支持！")
    assert Proposal.objects.get(pk=p.pk).state == Proposal.State.RAISED
    deliberation.support(p, by=b.account)
    assert Proposal.objects.get(pk=p.pk).state == Proposal.State.AGENDA
    assert ledger.person_account(POINTS, a).balance == 3  # supported and posted: once per proposal
    with pytest.raises(PermissionDenied):
        deliberation.support(p, by=person_in(world.g3).account)


def test_reports_hold_a_post_until_a_moderator_decides(world, proposal, settings):
    settings.SHEQU_MODERATION_HOLD_REPORTS = 2
    p, _raiser = proposal
    person_in(world.g1, account=world.resident)
    author = person_in(world.g1)
    message = deliberation.post(p, by=author.account, body="物业都是骗子")
    with pytest.raises(PermissionDenied):
        deliberation.report_post(message, by=author.account, reason="自己")
    deliberation.report_post(message, by=world.resident, reason="人身攻击")
    with pytest.raises(InvalidTransition):
        deliberation.report_post(message, by=world.resident, reason="再举报")
    deliberation.report_post(message, by=person_in(world.g2).account, reason="不文明")
    assert Post.objects.get(pk=message.pk).state == Post.State.HELD
    with pytest.raises(PermissionDenied):
        deliberation.moderate_post(message, by=world.community_staff_c3, hide=True, note="x")
    with pytest.raises(InvalidInput):
        deliberation.moderate_post(message, by=world.community_staff, hide=True)
    hidden = deliberation.moderate_post(message, by=world.community_staff, hide=True, note="人身攻击")
    assert (hidden.state, hidden.moderation_note) == (Post.State.HIDDEN, "人身攻击")
    assert deliberation.moderate_post(message, by=world.community_staff, hide=False).state == Post.State.VISIBLE


@pytest.fixture
def estate(world):
    """Building 5 of G1: four dwellings of 100 m²; owners A, B, C (C and D co-own one), E owns two."""
    b = building_in(world.g1, "5栋")
    d = [dwelling(world.g1, area="100.00", building="5栋") for _ in range(5)]
    a = person_in(world.g1, account=world.resident, home=d[0])
    b_owner = person_in(world.g1, home=d[1])
    c = person_in(world.g1, home=d[2])
    d_co = person_in(world.g1, home=d[2])
    e = person_in(world.g1, home=d[3])
    registry.move_in(e, d[4], role="owner", since=clock.now().date(), by=None, source=registry.MANUAL)
    return b, d, {"a": a, "b": b_owner, "c": c, "d": d_co, "e": e}


def _open_vote(world, p, building, matter=Matter.MANAGER):
    deliberation.put_on_agenda(p, by=world.community_staff)
    now = clock.now()
    vote = voting.create(
        by=world.community_staff,
        proposal=p,
        kind="owners",
        matter=matter,
        question="是否更换物业公司？",
        buildings=[building],
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(days=7),
    )
    return voting.open_vote(vote, by=world.community_staff)


def _entry(vote, dwelling_):
    return vote.roll.get(dwelling=dwelling_)


def test_the_roll_counts_area_per_dwelling_and_owners_as_people(world, proposal, estate):
    p, _ = proposal
    building, _d, _people = estate
    vote = _open_vote(world, p, building)
    t = voting.current_tally(vote)
    # 5 dwellings of 100 m²: area 500 m²; owners A, B, C+D, E (two dwellings): 4.
    assert (t.total_weight, t.total_heads) == (500_00, 4)


def test_an_owners_vote_does_not_open_while_a_dwelling_lacks_its_area(world, proposal, estate):
    p, _ = proposal
    building, _d, _people = estate
    dwelling(world.g1, area=None, building="5栋")
    with pytest.raises(InvalidTransition) as e:
        _open_vote(world, p, building)
    assert e.value.code == "area_missing"
    assert Vote.objects.get().state == Vote.State.DRAFT


def test_exactly_half_the_area_for_fails_an_ordinary_matter(world, proposal, estate):
    p, _ = proposal
    building, d, people = estate
    vote = _open_vote(world, p, building)
    voting.cast(vote, by=people["a"].account, entry=_entry(vote, d[0]), choice="yes")
    voting.cast(vote, by=people["e"].account, entry=_entry(vote, d[3]), choice="yes")
    voting.cast(vote, by=people["b"].account, entry=_entry(vote, d[1]), choice="no")
    voting.cast(vote, by=people["d"].account, entry=_entry(vote, d[2]), choice="no")
    with pytest.raises(InvalidTransition):  # C co-owns the dwelling D already voted for
        voting.cast(vote, by=people["c"].account, entry=_entry(vote, d[2]), choice="yes")
    # Area 400 of 500 took part, owners 4 of 4; yes 200 of 400 (exactly half): not carried.
    with pytest.raises(InvalidTransition):
        voting.close(vote, by=world.community_staff)  # not before its closing time
    with clock.frozen(vote.closes_at + timedelta(seconds=1)):
        closed = voting.close(vote, by=world.community_staff)
    assert (closed.part_weight, closed.part_heads, closed.yes_weight, closed.yes_heads) == (400_00, 4, 200_00, 2)
    assert closed.quorum is True and closed.passed is False


def test_one_more_dwelling_for_carries_it(world, proposal, estate):
    p, _ = proposal
    building, d, people = estate
    vote = _open_vote(world, p, building)
    for key, i, choice in (("a", 0, "yes"), ("e", 3, "yes"), ("e", 4, "yes"), ("b", 1, "no")):
        voting.cast(vote, by=people[key].account, entry=_entry(vote, d[i]), choice=choice)
    with clock.frozen(vote.closes_at):
        closed = voting.close(vote, by=None)
    # Area: 400 took part, 300 for; owners: A, E, B took part (3 of 4 >= 2/3), A and E for (2 of 3 > 1/2).
    assert closed.quorum and closed.passed


def test_without_two_thirds_taking_part_it_fails(world, proposal, estate):
    p, _ = proposal
    building, d, people = estate
    vote = _open_vote(world, p, building, matter=Matter.REBUILD)
    voting.cast(vote, by=people["e"].account, entry=_entry(vote, d[3]), choice="yes")
    voting.cast(vote, by=people["e"].account, entry=_entry(vote, d[4]), choice="yes")
    voting.cast(vote, by=people["a"].account, entry=_entry(vote, d[0]), choice="yes")
    with clock.frozen(vote.closes_at):
        closed = voting.close(vote, by=None)
    # 300 of 500 m² (< 2/3) although 2 of 4 owners... neither reaches two thirds.
    assert closed.quorum is False and closed.passed is False


def test_a_delegate_casts_and_the_owner_cannot_while_it_is_in_force(world, proposal, estate):
    p, _ = proposal
    building, d, people = estate
    household = registry.create_household(d[0], number="H5", by=None, source=registry.MANUAL)
    from shequ.registry.models import Residence

    Residence.objects.filter(person=people["a"], dwelling=d[0]).update(household=household)
    son = person_in(world.g1, home=d[0], role="family", household=household)
    vote = _open_vote(world, p, building)
    entry = _entry(vote, d[0])
    with pytest.raises(PermissionDenied):
        voting.delegate(vote, by=world.resident, entry=entry, to=people["b"])  # not family: through staff
    delegation = voting.delegate(vote, by=world.resident, entry=entry, to=son)
    with pytest.raises(PermissionDenied):
        voting.cast(vote, by=world.resident, entry=entry, choice="no")
    ballot = voting.cast(vote, by=son.account, entry=entry, choice="yes")
    assert (ballot.cast_by, ballot.delegation) == (son, delegation)
    with pytest.raises(InvalidTransition):
        voting.revoke(delegation, by=world.resident)
    # Staff record a paper delegation for another dwelling, to a neighbour.
    paper = voting.delegate(vote, by=world.community_staff, entry=_entry(vote, d[1]), to=people["c"])
    assert paper.owner == people["b"] and paper.recorded_by == world.community_staff
    voting.revoke(paper, by=people["b"].account)
    voting.cast(vote, by=people["b"].account, entry=_entry(vote, d[1]), choice="no")
    assert Ballot.objects.count() == 2


def test_a_decision_has_an_owner_and_a_follow_up_residents_watch(world, proposal, estate):
    p, _ = proposal
    building, d, people = estate
    vote = _open_vote(world, p, building)
    for key, i in (("a", 0), ("e", 3), ("e", 4), ("b", 1)):
        voting.cast(vote, by=people[key].account, entry=_entry(vote, d[i]), choice="yes")
    with clock.frozen(vote.closes_at):
        vote = voting.close(vote, by=None)
    with pytest.raises(InvalidInput):
        deliberation.decide(p, by=world.community_staff, text="更换物业", owner=world.community_staff_c3, vote=vote)
    decision = deliberation.decide(p, by=world.community_staff, text="更换物业", owner=world.grid_worker, vote=vote)
    deliberation.watch(decision, by=world.resident)
    deliberation.follow_up(decision, by=world.grid_worker, note="已发招标公告", state="doing")
    with pytest.raises(PermissionDenied):
        deliberation.follow_up(decision, by=world.resident, note="x", state="done")
    deliberation.follow_up(decision, by=world.grid_worker, note="新物业已进场", state="done")
    decision.refresh_from_db()
    assert decision.state == Decision.State.DONE and decision.done_at is not None
    assert Proposal.objects.get(pk=p.pk).state == Proposal.State.DECIDED
    assert decision.watchers.count() == 1
