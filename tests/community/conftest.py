"""People of the base for the community tests, made through the registry's actions."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps

from shequ.access.models import Role, User
from shequ.community.seed import seed as seed_skills
from shequ.geo.models import Building, Dwelling, Region
from shequ.registry import actions as registry
from shequ.registry.models import CodeTable, Household, Person
from shequ.registry.seed import seed as seed_dictionary
from tests.world import user

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _seeded(request) -> None:
    """The data migrations seed the dictionary and the skills; a transactional test elsewhere may have flushed them."""
    if "db" in request.fixturenames or "world" in request.fixturenames:
        request.getfixturevalue("db")
        if not CodeTable.objects.exists():
            seed_dictionary(apps)
        seed_skills(apps)


def building_in(grid: Region, name: str = "1栋") -> Building:
    ring = grid.boundary["coordinates"][0]
    lon = (ring[0][0] + ring[2][0]) / 2
    lat = (ring[0][1] + ring[2][1]) / 2
    building, _ = Building.objects.get_or_create(
        grid=grid, name=name, defaults={"address": f"{grid.name}{name}", "lon": lon, "lat": lat, "floors": 6}
    )
    return building


def dwelling(grid: Region, *, area: str | None = "80.00", building: str = "1栋") -> Dwelling:
    n = next(_numbers)
    return Dwelling.objects.create(
        building=building_in(grid, building), floor=1, room=f"{n}", area=Decimal(area) if area else None
    )


def person_in(
    grid: Region,
    *,
    account: User | bool = True,
    home: Dwelling | None = None,
    role: str = "owner",
    household: Household | None = None,
    name: str | None = None,
) -> Person:
    """A person living in ``home`` (a new dwelling of the grid by default), with a portal account unless
    ``account=False``."""
    n = next(_numbers)
    person = registry.create_person(by=None, source=registry.MANUAL, name=name or f"居民{n}", phone=f"139{n:08d}")
    if account:
        login = account if isinstance(account, User) else user(f"res{n}", Role.RESIDENT)
        Person.objects.filter(pk=person.pk).update(account=login)
        person.account = login
    home = home or dwelling(grid)
    registry.move_in(
        person, home, role=role, since=date(2020, 1, 1), by=None, source=registry.MANUAL, household=household
    )
    return person


def volunteer_of(world, person: Person):
    from shequ.community import volunteering
    from shequ.community.models import Skill

    return volunteering.register(
        by=person.account,
        person=person,
        community=world.c1,
        profile=volunteering.Profile(
            skills=list(Skill.objects.filter(code="companionship")), availability=["weekend_day"]
        ),
    )


def activity_in(world, *, kind: str = "volunteer", starts=None, hours: int = 2, capacity=None, sessions: int = 1):
    """A published activity of C1 by its staff, with ``sessions`` daily sessions from ``starts``."""
    from datetime import timedelta

    from shequ.community import activities
    from shequ.core import clock

    start = starts or clock.now() + timedelta(days=1)
    data = activities.ActivityInput(
        community=world.c1,
        kind=kind,
        title="敬老院陪伴",
        place="一社区党群服务中心",
        capacity=capacity,
        sessions=[(start + timedelta(days=i), start + timedelta(days=i, hours=hours)) for i in range(sessions)],
    )
    return activities.publish(activities.create(by=world.community_staff, data=data), by=world.community_staff)
