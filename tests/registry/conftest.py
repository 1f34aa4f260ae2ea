from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.apps import apps

from shequ.geo.models import Building, Dwelling, Region
from shequ.registry.models import CodeTable
from shequ.registry.seed import seed


@pytest.fixture(autouse=True)
def _seeded(request) -> None:
    """The data migration seeds the dictionary; a transactional test elsewhere may have flushed it."""
    if "db" in request.fixturenames:
        request.getfixturevalue("db")
        if not CodeTable.objects.exists():
            seed(apps)


def dwelling_in(grid: Region, *, building: str = "1栋", room: str = "101", floor: int = 1) -> Dwelling:
    ring = grid.boundary["coordinates"][0]
    lon = (ring[0][0] + ring[2][0]) / 2
    lat = (ring[0][1] + ring[2][1]) / 2
    b, _ = Building.objects.get_or_create(
        grid=grid, name=building, defaults={"address": f"{grid.name}{building}", "lon": lon, "lat": lat, "floors": 6}
    )
    return Dwelling.objects.create(building=b, floor=floor, room=room)


@dataclass
class Homes:
    g1_a: Dwelling
    g1_b: Dwelling
    g2_a: Dwelling
    g3_a: Dwelling


@pytest.fixture
def homes(world) -> Homes:
    return Homes(
        g1_a=dwelling_in(world.g1, room="101"),
        g1_b=dwelling_in(world.g1, room="102"),
        g2_a=dwelling_in(world.g2, room="201", floor=2),
        g3_a=dwelling_in(world.g3, room="301", floor=3),
    )
