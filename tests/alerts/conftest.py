from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

import pytest
from django.apps import apps

from shequ.access.models import Role
from shequ.alerts import actions
from shequ.alerts.actions import AlertInput
from shequ.alerts.models import Alert, AlertTemplate
from shequ.alerts.seed import seed as seed_templates
from shequ.geo.models import Building, Dwelling, Region
from shequ.registry import actions as registry
from shequ.registry.models import CodeTable, Organization, Person
from shequ.registry.seed import seed as seed_dictionary
from tests.world import World, user

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _seeded(request) -> None:
    """Data migrations seed templates and the dictionary; a transactional test elsewhere may have flushed them."""
    if "db" in request.fixturenames or "world" in request.fixturenames:
        request.getfixturevalue("db")
        if not CodeTable.objects.exists():
            seed_dictionary(apps)
        if not AlertTemplate.objects.exists():
            seed_templates(apps)


@pytest.fixture
def staff_c1b(world: World):
    """A second community staff member of C1: the usual approver of C1's alerts."""
    return user("c1staff2", Role.COMMUNITY_STAFF, region=world.c1)


def building_at(grid: Region, lon: float, lat: float, name: str | None = None) -> Building:
    name = name or f"B{next(_numbers)}"
    return Building.objects.create(grid=grid, name=name, address=f"{grid.name}{name}", lon=lon, lat=lat, floors=6)


def resident_in(building: Building, *, phone: str = "", room: str | None = None) -> Person:
    """A dwelling in the building and a person living there, through the registry's actions."""
    n = next(_numbers)
    dwelling = Dwelling.objects.create(building=building, floor=1, room=room or f"{n}")
    person = registry.create_person(by=None, source=registry.MANUAL, name=f"居民{n}", phone=phone)
    registry.move_in(person, dwelling, role="owner", since=date(2020, 1, 1), by=None, source=registry.MANUAL)
    return person


def organization_in(building: Building, *, phone: str = "") -> Organization:
    dwelling = Dwelling.objects.create(building=building, floor=1, room=f"S{next(_numbers)}", use="shop")
    return registry.create_organization(
        by=None, source=registry.MANUAL, name=f"商户{dwelling.pk}", premises=dwelling, contact_phone=phone
    )


def draft(by, *, template: str = "typhoon", **area) -> Alert:
    data = AlertInput.from_template(AlertTemplate.objects.get(code=template), area_desc="测试区域", **area)
    return actions.compose(by=by, data=data)


def approved(by, approver, **kwargs) -> Alert:
    alert = actions.submit(draft(by, **kwargs), by=by)
    return actions.approve(alert, by=approver)


# --- delivery: a small neighbourhood in C1 (G1, G2) and one outside (C3) ---------------------------------


@dataclass
class Town:
    reader: Person  # G1: phone and a portal account (world.resident), lives alone and is elderly
    texter: Person  # G1: phone only
    silent: Person  # G1: no phone, no account, disabled
    east: Person  # G2: phone, disabled
    outside: Person  # C3: phone (not in a C1 alert)
    shop: Organization  # G1: contact phone
    b1: Building


def tagged(person: Person, code: str) -> None:
    registry.tag(person, code, since=date(2024, 1, 1), by=None, source=registry.MANUAL)


@pytest.fixture
def town(world: World) -> Town:
    b1 = building_at(world.g1, 114.052, 22.545)
    b2 = building_at(world.g2, 114.057, 22.545)
    b3 = building_at(world.g3, 114.052, 22.555)
    reader = resident_in(b1, phone="13800000001")
    Person.objects.filter(pk=reader.pk).update(account=world.resident)  # no registry action links accounts yet
    reader.refresh_from_db()
    tagged(reader, "elderly_alone")
    texter = resident_in(b1, phone="13800000002")
    silent = resident_in(b1)
    tagged(silent, "disabled")
    east = resident_in(b2, phone="13800000004")
    tagged(east, "disabled")
    outside = resident_in(b3, phone="13800000005")
    shop = organization_in(b1, phone="075500000001")
    return Town(reader=reader, texter=texter, silent=silent, east=east, outside=outside, shop=shop, b1=b1)
