"""The demo district's organisation: handling units at district, street and
community level, the responsibility list (duties) tying catalog categories to
them, and the demo accounts."""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from faker import Faker

from shequ.access.models import Role, Unit, User
from shequ.events.catalog import load_catalog
from shequ.events.models import Category
from shequ.geo.models import Building, Region, RegionLevel

DEMO_PASSWORD = "shequ2025"

# Unit kinds per level: (kind, name pattern); {r} is the region's name (莲花街道城管执法队).
DISTRICT_UNITS = (
    ("CGJ", "{r}城市管理和综合执法局"),
    ("SJJ", "{r}市场监督管理局"),
    ("GAJ", "{r}公安分局"),
    ("XF", "{r}消防救援大队"),
    ("ZJJ", "{r}住房和建设局"),
    ("MZJ", "{r}民政局"),
    ("SWJ", "{r}水务局"),
    ("GS", "{r}供水有限公司"),
    ("GD", "{r}供电局"),
    ("RQ", "{r}燃气有限公司"),
    ("JT", "{r}交通运输局"),
    ("YJ", "{r}应急管理局"),
)
STREET_UNITS = (
    ("CG", "{r}城管执法队"),
    ("HW", "{r}环境卫生管理所"),
    ("PCS", "{r}派出所"),
    ("SJS", "{r}市场监管所"),
    ("AJ", "{r}安全生产监督管理办公室"),
    ("SF", "{r}司法所"),
    ("MZ", "{r}社会事务办"),
    ("JC", "{r}规划土地监察队"),
)
COMMUNITY_UNITS = (
    ("WY", "{r}物业服务中心"),
    ("TJ", "{r}人民调解委员会"),
)
UNITS_BY_LEVEL = {
    RegionLevel.DISTRICT: DISTRICT_UNITS,
    RegionLevel.STREET: STREET_UNITS,
    RegionLevel.COMMUNITY: COMMUNITY_UNITS,
}

# The responsibility list: (category code, region level, unit kind), one duty per region
# of that level. The most specific region wins, then the most specific category. The
# leaves 0508 乞讨卖艺, 0705 房屋租赁纠纷 and 0806 流浪动物 (and the groups 05, 07, 08)
# have no duty on purpose: such events go to the street's dispatch desk to be assigned.
DUTY_PLAN = (
    ("01", RegionLevel.STREET, "HW"),
    ("0104", RegionLevel.DISTRICT, "SWJ"),
    ("02", RegionLevel.STREET, "CG"),
    ("03", RegionLevel.STREET, "CG"),
    ("0305", RegionLevel.STREET, "JC"),
    ("0307", RegionLevel.DISTRICT, "ZJJ"),
    ("04", RegionLevel.DISTRICT, "YJ"),
    ("0401", RegionLevel.DISTRICT, "RQ"),
    ("0402", RegionLevel.DISTRICT, "ZJJ"),
    ("0403", RegionLevel.DISTRICT, "GS"),
    ("0404", RegionLevel.DISTRICT, "SWJ"),
    ("0405", RegionLevel.DISTRICT, "XF"),
    ("0406", RegionLevel.DISTRICT, "GD"),
    ("0407", RegionLevel.STREET, "CG"),
    ("0501", RegionLevel.STREET, "CG"),
    ("0502", RegionLevel.STREET, "CG"),
    ("0503", RegionLevel.STREET, "CG"),
    ("0504", RegionLevel.STREET, "PCS"),
    ("0505", RegionLevel.STREET, "CG"),
    ("0506", RegionLevel.STREET, "CG"),
    ("0507", RegionLevel.STREET, "PCS"),
    ("06", RegionLevel.STREET, "AJ"),
    ("0601", RegionLevel.COMMUNITY, "WY"),
    ("0602", RegionLevel.COMMUNITY, "WY"),
    ("0603", RegionLevel.COMMUNITY, "WY"),
    ("0604", RegionLevel.DISTRICT, "RQ"),
    ("0607", RegionLevel.DISTRICT, "SJJ"),
    ("0701", RegionLevel.COMMUNITY, "TJ"),
    ("0702", RegionLevel.DISTRICT, "ZJJ"),
    ("0703", RegionLevel.STREET, "SF"),
    ("0704", RegionLevel.COMMUNITY, "TJ"),
    ("0706", RegionLevel.STREET, "SJS"),
    ("0801", RegionLevel.STREET, "MZ"),
    ("0802", RegionLevel.STREET, "MZ"),
    ("0803", RegionLevel.DISTRICT, "GS"),
    ("0804", RegionLevel.DISTRICT, "GD"),
    ("0805", RegionLevel.DISTRICT, "RQ"),
    ("0807", RegionLevel.STREET, "HW"),
    ("09", RegionLevel.STREET, "CG"),
    ("0901", RegionLevel.DISTRICT, "CGJ"),
    ("0907", RegionLevel.DISTRICT, "JT"),
    ("0909", RegionLevel.DISTRICT, "GS"),
)

# Who a street desk picks by hand when the list names no one (by category group).
STREET_FALLBACK = {"05": "CG", "07": "SF", "08": "MZ", "06": "AJ", "01": "HW"}


@dataclass(frozen=True)
class Account:
    """A demo login with a fixed, readable username."""

    username: str
    role: str


# The accounts printed after loading; each is the first of its kind (grid, community, street ...).
ACCOUNTS = (
    Account("jumin", Role.RESIDENT),
    Account("wanggeyuan", Role.GRID_WORKER),
    Account("shequ", Role.COMMUNITY_STAFF),
    Account("jiedao", Role.STREET_DISPATCHER),
    Account("quzhongxin", Role.DISTRICT_DISPATCHER),
    Account("chuzhi", Role.UNIT_HANDLER),
    Account("admin", Role.ADMIN),
    Account("shenji", Role.AUDITOR),
    Account("wuye", Role.PROPERTY_COMPANY),
    Account("shuju", Role.DATA_USER),  # the statistics API only (docs/stats.md)
)
# The property company (物业) of the first grid's first buildings: its account sees only their residents.
PROPERTY_BUILDINGS = 3


def _property_company() -> Unit | None:
    grid = Region.objects.filter(level=RegionLevel.GRID).order_by("code").first()
    if grid is None or grid.parent is None:
        return None
    company, _ = Unit.objects.get_or_create(
        code=unit_code(grid.parent, "WY"), defaults={"name": f"{grid.parent.name}物业服务中心", "region": grid.parent}
    )
    buildings = Building.objects.filter(grid=grid).order_by("id").values_list("pk", flat=True)[:PROPERTY_BUILDINGS]
    Building.objects.filter(pk__in=list(buildings)).update(managed_by=company)
    return company


def unit_code(region: Region, kind: str) -> str:
    return f"{region.code}-{kind}"


@dataclass
class OrganisationSummary:
    units: int
    duties: int
    users: int


def build_organisation(*, seed: int, residents: int = 20) -> OrganisationSummary:
    """Units and duties (through the catalog import, as an operator would), then users."""
    rng = random.Random(f"{seed}:organisation")
    fake = Faker("zh_CN")
    fake.seed_instance(seed + 1)
    regions = list(Region.objects.exclude(level=RegionLevel.GRID).order_by("code"))
    units = []
    for region in regions:
        for kind, pattern in UNITS_BY_LEVEL[RegionLevel(region.level)]:
            units.append(
                {
                    "code": unit_code(region, kind),
                    "name": pattern.format(r=region.name),
                    "region": region.code,
                    "phone": f"0755-8{rng.randrange(10**6, 10**7)}",
                }
            )
    known = set(Category.objects.values_list("code", flat=True))
    duties = [
        {"category": category, "region": region.code, "unit": unit_code(region, kind)}
        for category, level, kind in DUTY_PLAN
        if category in known
        for region in regions
        if region.level == level
    ]
    counts = load_catalog({"units": units, "duties": duties})
    users = _create_users(fake, residents=residents)
    return OrganisationSummary(units=counts["units"], duties=counts["duties"], users=users)


def _create_users(fake: Faker, *, residents: int) -> int:
    """One user per grid, community, street, district and unit, plus residents and the admin.

    The first of each kind gets the plain username (``wanggeyuan``), the rest a number
    (``wanggeyuan2``). One password hash serves all: hashing is slow on purpose, and
    every demo account shares the demo password anyway.
    """
    password = make_password(DEMO_PASSWORD)
    by_level = {
        level: list(Region.objects.filter(level=level).order_by("code"))
        for level in (RegionLevel.GRID, RegionLevel.COMMUNITY, RegionLevel.STREET, RegionLevel.DISTRICT)
    }
    # The main handler is the first street's city-management team: it gets the most events.
    units = sorted(Unit.objects.select_related("region"), key=lambda u: (not u.code.endswith("-CG"), u.code))
    people: list[User] = []

    def add(base: str, n: int, role: str, **extra) -> None:
        people.append(
            User(
                username=base if n == 1 else f"{base}{n}",
                password=password,
                name=fake.name(),
                phone=fake.phone_number(),
                role=role,
                **extra,
            )
        )

    for n in range(1, residents + 1):
        add("jumin", n, Role.RESIDENT)
    for base, role, level in (
        ("wanggeyuan", Role.GRID_WORKER, RegionLevel.GRID),
        ("shequ", Role.COMMUNITY_STAFF, RegionLevel.COMMUNITY),
        ("jiedao", Role.STREET_DISPATCHER, RegionLevel.STREET),
        ("quzhongxin", Role.DISTRICT_DISPATCHER, RegionLevel.DISTRICT),
    ):
        for n, region in enumerate(by_level[level], start=1):
            add(base, n, role, region=region)
    for n, unit in enumerate(units, start=1):
        add("chuzhi", n, Role.UNIT_HANDLER, unit=unit)
    add("admin", 1, Role.ADMIN, is_superuser=True, is_staff=True)
    add("shenji", 1, Role.AUDITOR)
    add("wuye", 1, Role.PROPERTY_COMPANY, unit=_property_company())
    # A department's data user for the first street: counts and membership checks through /api/stats/, no records.
    add("shuju", 1, Role.DATA_USER, region=next(iter(by_level[RegionLevel.STREET]), None))
    User.objects.bulk_create(people, batch_size=1000)
    return len(people)
