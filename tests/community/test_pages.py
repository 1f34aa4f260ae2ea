"""Every community page answers for the people it is for, in Chinese, and refuses the others."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from shequ.community import activities, deliberation, market, voting
from shequ.community.models import Matter
from shequ.core import clock

from .conftest import activity_in, building_in, person_in, volunteer_of


@pytest.fixture
def life(world):
    resident = person_in(world.g1, account=world.resident)
    volunteer_of(world, resident)
    a = activity_in(world)
    activities.sign_up(a, by=world.resident)
    p = deliberation.raise_proposal(by=world.resident, community=world.c1, title="加装电梯", body="说明")
    deliberation.post(p, by=world.resident, body="我支持")
    p = deliberation.put_on_agenda(p, by=world.community_staff)
    now = clock.now()
    vote = voting.create(
        by=world.community_staff,
        proposal=p,
        kind="owners",
        matter=Matter.MANAGER,
        question="是否同意？",
        buildings=[building_in(world.g1)],
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(days=1),
    )
    vote = voting.open_vote(vote, by=world.community_staff)
    listing = market.create(by=world.resident, community=world.c1, title="书架", kind="free")
    return {"activity": a, "proposal": p, "vote": vote, "listing": listing, "session": a.sessions.get()}


def resident_pages(life) -> list[str]:
    a, p, v, listing = life["activity"], life["proposal"], life["vote"], life["listing"]
    return [
        "/portal/community/",
        "/portal/community/activities/",
        f"/portal/community/activities/{a.pk}/",
        f"/portal/community/checkin/{life['session'].code}/",
        "/portal/community/calendar/",
        "/portal/community/volunteer/",
        "/portal/community/around/",
        "/portal/community/statement/",
        "/portal/community/family/",
        "/portal/community/help/",
        "/portal/community/shop/",
        "/portal/community/redemptions/",
        "/portal/community/proposals/",
        "/portal/community/proposals/new/",
        f"/portal/community/proposals/{p.pk}/",
        f"/portal/community/votes/{v.pk}/",
        "/portal/community/decisions/",
        "/portal/community/market/",
        "/portal/community/market/new/",
        "/portal/community/market/mine/",
        f"/portal/community/market/{listing.pk}/",
    ]


def staff_pages(life) -> list[str]:
    a, p, v, listing = life["activity"], life["proposal"], life["vote"], life["listing"]
    return [
        "/community/",
        "/community/volunteers/",
        "/community/volunteers/new/",
        "/community/teams/",
        "/community/activities/",
        "/community/activities/new/",
        f"/community/activities/{a.pk}/",
        f"/community/sessions/{life['session'].pk}/poster/",
        "/community/fitness/",
        "/community/points/rules/",
        "/community/points/sorting/",
        "/community/shop/",
        "/community/time-bank/",
        "/community/proposals/",
        "/community/proposals/new/",
        f"/community/proposals/{p.pk}/",
        f"/community/proposals/{p.pk}/vote/",
        f"/community/votes/{v.pk}/",
        "/community/moderation/",
        "/community/decisions/",
        "/community/market/",
        f"/community/market/{listing.pk}/",
        "/community/transit/",
    ]


def test_every_resident_page_answers_the_resident(world, life):
    client = Client()
    client.force_login(world.resident)
    for url in resident_pages(life):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert "社区" in resp.content.decode(), url


def test_every_staff_page_answers_the_community_staff(world, life):
    client = Client()
    client.force_login(world.community_staff)
    for url in staff_pages(life):
        resp = client.get(url)
        assert resp.status_code == 200, url


def test_another_communitys_staff_and_residents_get_404(world, life):
    staff = Client()
    staff.force_login(world.community_staff_c3)
    outsider = Client()
    outsider.force_login(person_in(world.g3).account)
    for url in staff_pages(life):
        if (
            any(str(x) in url for x in ("/activities/", "/proposals/", "/votes/", "/market/", "/sessions/"))
            and url[-2] != "w"
        ) and (url.rstrip("/").split("/")[-1].isdigit() or "poster" in url or url.endswith("/vote/")):
            assert staff.get(url).status_code == 404, url
    for url in resident_pages(life):
        if url.rstrip("/").split("/")[-1].isdigit():
            assert outsider.get(url).status_code == 404, url
