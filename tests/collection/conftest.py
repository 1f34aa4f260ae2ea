"""Collection-task fixtures: the seeded dictionary and people living in the world's grids.

People are made a year before "now" (``BEFORE``) through the real registry actions, so their values are stale
(older than the freshness window) unless a test says otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from shequ.core import clock
from shequ.geo.models import Region
from shequ.registry import actions as registry
from shequ.registry.models import CodeTable, Person
from shequ.registry.seed import seed
from tests.registry.conftest import dwelling_in

NOW = timezone.make_aware(datetime(2026, 6, 1, 10, 0))
BEFORE = NOW - timedelta(days=365)


@pytest.fixture(autouse=True)
def _seeded(request) -> None:
    """The data migration seeds the dictionary; a transactional test elsewhere may have flushed it."""
    if "db" in request.fixturenames or "transactional_db" in request.fixturenames:
        request.getfixturevalue("db" if "db" in request.fixturenames else "transactional_db")
        if not CodeTable.objects.exists():
            seed(apps)


@pytest.fixture
def now() -> Iterator[datetime]:
    """Tests run at NOW, a year after the people were recorded."""
    with clock.frozen(NOW):
        yield NOW


def resident(grid: Region, name: str, *, room: str, when: datetime = BEFORE, **fields) -> Person:
    """A person recorded at ``when`` (an owner of a new dwelling in ``grid``)."""
    with clock.frozen(when):
        person = registry.create_person(by=None, source=registry.MANUAL, name=name, **fields)
        registry.move_in(
            person, dwelling_in(grid, room=room), role="owner", since=when.date(), by=None, source=registry.MANUAL
        )
    return person


@dataclass
class People:
    zhang: Person  # g1, with ID number and phone
    li: Person  # g1, name only
    wang: Person  # g2


@pytest.fixture
def people(world) -> People:
    return People(
        zhang=resident(
            world.g1, "张三", room="101", id_number="110101198001010010", phone="13800138000", ethnicity="01"
        ),
        li=resident(world.g1, "李四", room="102"),
        wang=resident(world.g2, "王五", room="201", phone="13900139000"),
    )
