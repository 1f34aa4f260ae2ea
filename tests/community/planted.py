"""Community records planted in each place of the authorization matrix (tests/test_authorization_matrix.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile

from shequ.access.models import Role, User
from shequ.community import activities, deliberation, market, volunteering, voting
from shequ.community.models import Matter, Skill
from shequ.core import clock
from shequ.geo.models import Building, Dwelling, Region
from shequ.registry.models import Person
from tests.world import user


def plant_community(
    name: str, *, community: Region, building: Building, person: Person, desk: User, resident: User | None, png: bytes
) -> SimpleNamespace:
    """Every kind of community record a page opens by id, made through the real actions, in ``community``."""
    if resident is None:  # a portal account of the place's person
        resident = user(f"{name}-community-resident", Role.RESIDENT)
        Person.objects.filter(pk=person.pk).update(account=resident)
        person.account = resident
    volunteer = volunteering.register(
        by=desk,
        person=person,
        community=community,
        profile=volunteering.Profile(skills=list(Skill.objects.all()[:1]), availability=["weekend_day"]),
    )
    team = volunteering.create_team(by=desk, community=community, name=f"{name}矩阵队")
    start = clock.now() + timedelta(days=1)
    data = activities.ActivityInput(
        community=community,
        kind="volunteer",
        title=f"{name}矩阵活动",
        place="党群服务中心",
        capacity=None,
        sessions=[(start, start + timedelta(hours=2))],
    )
    activity = activities.publish(activities.create(by=desk, data=data), by=desk)
    spot = activities.create_spot(by=desk, community=community, name=f"{name}健身点")
    proposal = deliberation.raise_proposal(by=desk, community=community, title=f"{name}矩阵议题", body="说明")
    post = deliberation.post(proposal, by=desk, body="意见")
    proposal = deliberation.put_on_agenda(proposal, by=desk)
    meeting = deliberation.schedule_meeting(proposal, by=desk, starts_at=start, place="会议室")
    now = clock.now()
    Dwelling.objects.filter(building=building).update(area=Decimal("80.00"))  # votes weigh by area
    vote = voting.open_vote(
        voting.create(
            by=desk,
            proposal=proposal,
            kind="owners",
            matter=Matter.MANAGER,
            question="是否同意？",
            buildings=[building],
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(days=1),
        ),
        by=desk,
    )
    decided = deliberation.raise_proposal(by=desk, community=community, title=f"{name}矩阵决定", body="说明")
    decision = deliberation.decide(decided, by=desk, text="照办", owner=desk)
    listing = market.create(
        by=resident,
        community=community,
        title=f"{name}矩阵书架",
        kind="free",
        photos=[SimpleUploadedFile("p.png", png, content_type="image/png")],
    )
    return SimpleNamespace(
        volunteer=volunteer,
        team=team,
        activity=activity,
        session=activity.sessions.get(),
        spot=spot,
        proposal=proposal,
        post=post,
        meeting=meeting,
        vote=vote,
        decision=decision,
        listing=listing,
        photo=listing.photos.first(),
    )
