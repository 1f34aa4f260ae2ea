"""A person with a value at every level, and the accounts that see them differently (used by the masking, reveal
and grant tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.test import Client

from shequ.access.models import Role, Unit, User
from shequ.registry import actions
from shequ.registry.actions import Source
from shequ.registry.models import Person, SourceKind

from .conftest import dwelling_in
from .ids import make_id

SOURCE = Source(SourceKind.IMPORT, "7")
ZHANG_ID = make_id(date(1950, 3, 8), seq=231)  # 44030419500308231X
ZHANG_PHONE = "13812345678"
ZHANG_HUKOU = "河南省周口市幸福路12号3栋502室"


@dataclass
class Scene:
    zhang: Person
    wang: Person  # in another grid (g3), outside street s1
    property_company: Unit
    property_user: User
    data_user: User


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def build_scene(world) -> Scene:
    home = dwelling_in(world.g1, building="3栋", room="502", floor=5)
    other = dwelling_in(world.g3, building="9栋", room="901", floor=9)
    zhang = actions.create_person(
        by=world.community_staff,
        source=SOURCE,
        name="张建国",
        id_number=ZHANG_ID,
        phone=ZHANG_PHONE,
        hukou_address=ZHANG_HUKOU,
        ethnicity="01",
        residency="registered",
        note="腿脚不便",
    )
    household = actions.create_household(home, number="H-0042", head=zhang, by=world.community_staff, source=SOURCE)
    actions.move_in(
        zhang, home, role="owner", since=date(2020, 1, 1), household=household, by=world.community_staff, source=SOURCE
    )
    wang = actions.create_person(by=world.community_staff, source=SOURCE, name="王五", phone="13900001111")
    actions.move_in(wang, other, role="owner", since=date(2020, 1, 1), by=world.community_staff, source=SOURCE)
    for code in ("elderly_alone", "community_correction"):
        actions.tag(zhang, code, since=date(2021, 1, 1), by=world.community_staff, source=SOURCE)
    company = Unit.objects.create(code="C1-WY", name="一社区物业", region=world.c1)
    home.building.managed_by = company
    home.building.save()
    property_user = User.objects.create_user(
        username="wuye", password="pass-word-123", role=Role.PROPERTY_COMPANY, unit=company
    )
    data_user = User.objects.create_user(
        username="shujv", password="pass-word-123", role=Role.DATA_USER, region=world.district
    )
    return Scene(zhang, wang, company, property_user, data_user)
