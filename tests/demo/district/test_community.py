"""Community life in the demo: volunteers, teams, activities past and upcoming with hours and points posted through
the real actions, the shop, deliberation with a vote in progress, the market, fitness spots and the sample GTFS feed
(the portal shows a demo resident the stops and lines nearest home)."""

from __future__ import annotations

from django.test import Client

from shequ.access.models import User
from shequ.community import ledger
from shequ.community.ledger import POINTS, TIME
from shequ.community.models import (
    Activity,
    Attendance,
    Ballot,
    Decision,
    FitnessCheckin,
    Listing,
    PointsTransfer,
    Proposal,
    Redemption,
    ShopItem,
    Stop,
    Team,
    TimeTransfer,
    Volunteer,
    Vote,
)
from shequ.core import clock
from shequ.geo.models import Region, RegionLevel

from ..conftest import NOW


def test_every_demo_community_has_its_community_life(demo_db):
    communities = Region.objects.filter(level=RegionLevel.COMMUNITY)
    for community in communities:
        assert Volunteer.objects.filter(community=community).count() >= 4, community
        assert Team.objects.filter(community=community).exists()
        assert Activity.objects.filter(community=community, state="published").count() >= 5
        assert ShopItem.objects.filter(community=community).exists()
        assert Listing.objects.filter(community=community).exists()
        assert Proposal.objects.filter(community=community).count() >= 2
    assert Vote.objects.filter(state="open").exists() and Ballot.objects.exists()
    assert Decision.objects.exists() and FitnessCheckin.objects.exists() and Redemption.objects.exists()


def test_check_ins_posted_hours_and_points_and_the_ledgers_balance(demo_db):
    credited = Attendance.objects.filter(transfer__isnull=False)
    assert credited.count() >= 10
    assert TimeTransfer.objects.filter(kind="volunteering").count() == credited.count()
    assert PointsTransfer.objects.filter(kind="earn").exists()
    assert ledger.verify(TIME).ok and ledger.verify(POINTS).ok


def test_the_demo_resident_sees_hours_points_a_vote_and_the_nearest_stops(demo_db):
    jumin = User.objects.get(username="jumin")
    client = Client()
    client.force_login(jumin)
    with clock.frozen(NOW):
        me = client.get("/api/community/me").json()
        assert me["volunteer"] is True and me["balances"]["minutes"] > 0 and me["balances"]["points"] > 0
        assert client.get("/api/community/activities").json()["count"] >= 3
        homes = client.get("/api/community/around").json()
        page = client.get("/portal/community/around/").content.decode()
    assert Stop.objects.count() == 24
    assert homes and homes[0]["stops"] and homes[0]["stops"][0]["lines"]
    assert homes[0]["stops"][0]["name"] in page


def test_a_demo_resident_account_may_still_cast_a_ballot_in_the_vote_in_progress(demo_db):
    from shequ.community import scopes, voting

    with clock.frozen(NOW):
        votes = list(Vote.objects.filter(state="open"))
        can = [
            u.username
            for u in User.objects.filter(username__startswith="jumin")
            for v in votes
            if voting.castable(v, scopes.person_for(u))
        ]
    assert can
