"""Resident-services fixtures: the seeded catalogues, people of the world's grids (through the registry's actions),
a certificate affair and a booking affair, and files to attach."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shequ.core import clock
from shequ.geo.models import Region
from shequ.registry import actions as registry
from shequ.registry.models import CodeTable, Person
from shequ.registry.seed import seed as seed_registry
from shequ.services.models import Affair, AidKind, ResultKind
from shequ.services.seed import seed as seed_services
from tests.registry.conftest import dwelling_in
from tests.registry.ids import make_id

# A Monday, 10:00 in Beijing.
NOW = timezone.make_aware(datetime(2026, 6, 1, 10, 0))
RECENT = NOW - timedelta(days=10)
LONG_AGO = NOW - timedelta(days=400)

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4bc0000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _seeded(request) -> None:
    """The data migrations seed the catalogues; a transactional test elsewhere may have flushed them."""
    if "db" in request.fixturenames or "transactional_db" in request.fixturenames:
        request.getfixturevalue("db" if "db" in request.fixturenames else "transactional_db")
        if not CodeTable.objects.exists():
            seed_registry(apps)
        if not AidKind.objects.exists():
            seed_services(apps)


@pytest.fixture
def now() -> Iterator[datetime]:
    with clock.frozen(NOW):
        yield NOW


def png(name: str = "scan.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def pdf(name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def resident(grid: Region, name: str, *, room: str, when: datetime = RECENT, **fields) -> Person:
    """A person recorded at ``when``, owner of a new dwelling in ``grid`` since then."""
    with clock.frozen(when):
        person = registry.create_person(by=None, source=registry.MANUAL, name=name, **fields)
        registry.move_in(
            person, dwelling_in(grid, room=room), role="owner", since=when.date(), by=None, source=registry.MANUAL
        )
    return person


@dataclass
class People:
    zhang: Person  # G1, the resident persona's own record: name, ID number and phone recorded recently
    li: Person  # G1, name only, recorded long ago
    wang: Person  # G3 (another street)


@pytest.fixture
def people(world) -> People:
    zhang = resident(world.g1, "张三", room="101", id_number=make_id(date(1950, 3, 1), 11), phone="13800138000")
    Person.objects.filter(pk=zhang.pk).update(account=world.resident)
    li = resident(world.g1, "李四", room="102", when=LONG_AGO)
    wang = resident(world.g3, "王五", room="301", phone="13900139000", id_number=make_id(date(1990, 5, 5), 22))
    Person.objects.filter(pk=wang.pk).update(account=world.resident2)
    zhang.refresh_from_db()
    return People(zhang=zhang, li=li, wang=wang)


@pytest.fixture
def residence_affair(db) -> Affair:
    return Affair.objects.create(
        code="t_juzhu",
        name="居住证明",
        fields=["person.name", "person.id_number", "person.phone", "person.hukou_address", "application.purpose"],
        attachments=[{"key": "id_card", "label": "身份证", "required": True}],
        review_levels=["community"],
        time_limit_days=3,
        result=ResultKind.CERTIFICATE,
        certificate_title="居住证明",
        certificate_text="兹证明{name}（公民身份号码：{id_number}）居住在{address}。用于{purpose}。",
    )


@pytest.fixture
def subsidy_affair(db) -> Affair:
    """Reviewed by the community, then the street; a decision only."""
    return Affair.objects.create(
        code="t_kunnan",
        name="困难补助申请",
        fields=["person.name", "person.phone", "application.reason", "application.income"],
        optional_fields=["application.income"],
        attachments=[{"key": "proof", "label": "收入证明", "required": False}],
        review_levels=["community", "street"],
        time_limit_days=10,
        result=ResultKind.DECISION,
    )


@pytest.fixture
def venue_affair(db) -> Affair:
    return Affair.objects.create(
        code="t_changdi",
        name="场地预约",
        fields=[
            "person.name",
            "person.phone",
            "application.venue_day",
            "application.venue_slot",
            "application.activity",
        ],
        review_levels=["community"],
        time_limit_days=2,
        result=ResultKind.BOOKING,
        venue="社区活动室",
        slots=["09:00-12:00", "14:00-17:00"],
    )


@dataclass
class Providers:
    care: object  # a home-care agency serving street S1
    care_staff: object
    care_worker: object
    shop: object  # a shop in C3 (another street)
    shop_staff: object
    cleaning: object  # free basic service of the agency, with one 2-place slot tomorrow
    slot: object
    meals: object  # paid value-added, no slots


@pytest.fixture
def providers(world, now) -> Providers:
    from shequ.access.models import Role, Unit
    from shequ.services.models import Provider, ProviderKind, Service, Slot
    from tests.world import user

    care_unit = Unit.objects.create(code="S1-YL", name="安康居家养老服务中心", region=world.s1)
    shop_unit = Unit.objects.create(code="C3-SHOP", name="三社区便民超市", region=world.c3)
    care = Provider.objects.create(name="安康居家养老", kind=ProviderKind.HOME_CARE, unit=care_unit, area=world.s1)
    shop = Provider.objects.create(name="便民超市", kind=ProviderKind.SHOP, unit=shop_unit, area=world.c3)
    cleaning = Service.objects.create(provider=care, name="助洁服务", area=world.c1, free=True)
    slot = Slot.objects.create(
        service=cleaning, start=NOW + timedelta(days=1), end=NOW + timedelta(days=1, hours=2), capacity=2
    )
    meals = Service.objects.create(provider=care, name="助餐配送", area=world.s1, free=False, price=15, at_home=True)
    return Providers(
        care=care,
        care_staff=user("carestaff", Role.PROVIDER, unit=care_unit),
        care_worker=user("careworker", Role.PROVIDER, unit=care_unit),
        shop=shop,
        shop_staff=user("shopstaff", Role.PROVIDER, unit=shop_unit),
        cleaning=cleaning,
        slot=slot,
        meals=meals,
    )
