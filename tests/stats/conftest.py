"""A street (S1) with a community of three grids and one of one grid, people placed so that the cells the
differencing attacks aim at hold 1 to 4 people, and a department data user for S1.

    S1 440304001 (28)
      C1 440304001001 (20): G1 10 registered (7 aged 25, 3 aged 70) | G2 3 floating | G5 7 registered
      C2 440304001002 (8):  G4 6 floating, 2 registered
    C3 (another street) 1 person, outside the data user's area
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from django.apps import apps

from shequ.access.models import Role, User
from shequ.core import clock
from shequ.geo.models import Region, RegionLevel
from shequ.registry.models import CodeTable, Person, Residence
from shequ.registry.seed import seed
from shequ.stats.queries import years_ago
from tests.api.conftest import ApiClient
from tests.registry.conftest import dwelling_in
from tests.world import World, square, token_for, user


@pytest.fixture(autouse=True)
def _seeded(request) -> None:
    """The data migration seeds the dictionary and tags; a transactional test elsewhere may have flushed it."""
    if "db" in request.fixturenames or "world" in request.fixturenames:
        request.getfixturevalue("db")
        if not CodeTable.objects.exists():
            seed(apps)


def born(age: int) -> date:
    """A birth date giving this age today (the birthday is today)."""
    return years_ago(clock.now().date(), age) if age else clock.now().date()


def settle(grid: Region, n: int, *, age: int = 25, residency: str = "registered", room: str = "101") -> list[Person]:
    """n people living now in one dwelling of the grid."""
    dwelling = dwelling_in(grid, room=room)
    people = []
    for k in range(n):
        person = Person.objects.create(name=f"居民{grid.code[-3:]}{room}{k}", birth_date=born(age), residency=residency)
        Residence.objects.create(person=person, dwelling=dwelling, role="owner", start=date(2020, 1, 1))
        people.append(person)
    return people


@dataclass
class Town:
    world: World
    g5: Region
    data_user: User


@pytest.fixture
def town(world) -> Town:
    # Beside C1's square: only its buildings matter here, not where it is drawn.
    g5 = Region.objects.create(
        code="440304001001003",
        name="五网格",
        level=RegionLevel.GRID,
        parent=world.c1,
        boundary=square(114.08, 22.54, 114.09, 22.55),
    )
    settle(world.g1, 7, age=25, room="101")
    settle(world.g1, 3, age=70, room="102")
    settle(world.g2, 3, residency="floating")
    settle(g5, 7)
    settle(world.g4, 6, residency="floating", room="101")
    settle(world.g4, 2, room="102")
    settle(world.g3, 1)
    data_user = user("shuju", Role.DATA_USER, region=world.s1)
    return Town(world=world, g5=g5, data_user=data_user)


@pytest.fixture
def ask(town) -> Callable[..., ApiClient]:
    def make(who: User | None = None) -> ApiClient:
        return ApiClient(token_for(who or town.data_user))

    return make


PURPOSE = "民政走访计划"


def counts(client: ApiClient, area: str, by: str = "", **params: str) -> dict:
    resp = client.get("/stats/counts", area=area, by=by, purpose=PURPOSE, **params)
    assert resp.status_code == 200, resp.content
    return resp.json()


def cell(answer: dict, area: str, **dims: str | None) -> str:
    """The shown value of one cell of an answer (dimensions not given are the margin, null)."""
    want = {"area": area, "tag": None, "age_band": None, "residency": None, **dims}
    found = [c for c in answer["cells"] if all(c[k] == v for k, v in want.items())]
    assert len(found) == 1, (want, answer["cells"])
    return found[0]["value"]
