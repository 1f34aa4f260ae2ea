"""The demo's resident services: four providers of the first grid's community (its property company, a street's
home-care agency, the community's volunteer team and a shop) with free basic and paid value-added services and a
week of time slots; the provider account ``fuwu`` and its colleagues; orders of the first grid's resident accounts in
every state; the community's needs list with its first visits; and a few aid items of the district's departments
(one planted overlap of exclusive kinds, so the checks' report has something to show).

Everything goes through the services app's actions, as staff would do it, with the clock at the demo's ``now``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from shequ.access.models import Role, Unit, User
from shequ.core import clock
from shequ.geo.models import Region, RegionLevel
from shequ.registry.models import Person, PersonTag
from shequ.registry.queries import people_in
from shequ.services.aid import actions as aid
from shequ.services.care import actions as care
from shequ.services.models import AidKind, Provider, ProviderKind, Service
from shequ.services.orders import actions as orders
from shequ.services.orders.queries import workers_of

from .accounts import PROVIDER_ACCOUNT
from .organisation import DEMO_PASSWORD

# (unit kind, level of its region, name pattern, provider kind, services: (name, free, price, unit, at home, slots))
PROVIDERS = (
    (
        "WY",
        RegionLevel.COMMUNITY,
        "{r}物业服务中心",
        ProviderKind.PROPERTY,
        (("公共设施报修", True, 0, "", False, False), ("家电上门维修", False, 50, "次", True, True)),
    ),
    (
        "YL",
        RegionLevel.STREET,
        "{r}颐康居家养老服务中心",
        ProviderKind.HOME_CARE,
        (
            ("助洁服务", True, 0, "", True, True),
            ("助餐配送", False, 15, "餐", True, False),
            ("助浴服务", False, 40, "次", True, True),
        ),
    ),
    (
        "ZYZ",
        RegionLevel.COMMUNITY,
        "{r}志愿服务队",
        ProviderKind.VOLUNTEERS,
        (("代购代办", True, 0, "", True, False), ("陪同就医", True, 0, "", True, True)),
    ),
    (
        "BM",
        RegionLevel.COMMUNITY,
        "{r}便民超市",
        ProviderKind.SHOP,
        (("米面粮油送货上门", True, 0, "", True, False), ("生鲜配送", False, 5, "单", True, False)),
    ),
)
SLOT_DAYS = 7
SLOT_HOURS = (9, 14)

# The orders planted: (resident account index, service name, the steps taken after placing it).
ORDERS = (
    (0, "助洁服务", ()),
    (0, "助餐配送", ("accept", "assign", "complete", "confirm")),
    (0, "代购代办", ("accept",)),
    (1, "助餐配送", ("accept", "assign", "complete")),
    (1, "家电上门维修", ("decline",)),
    (2, "生鲜配送", ("cancel",)),
    (2, "助浴服务", ("accept", "assign")),
)


@dataclass
class ServicesSummary:
    providers: int = 0
    services: int = 0
    orders: int = 0
    subjects: int = 0
    aid: int = 0


def build_services(*, seed: int, now: datetime) -> ServicesSummary:
    """Providers, services, slots, the provider accounts, orders, the needs list and aid (see the module)."""
    summary = ServicesSummary()
    admin = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    grid = Region.objects.filter(level=RegionLevel.GRID).order_by("code").select_related("parent__parent").first()
    if admin is None or grid is None or grid.parent is None or grid.parent.parent is None:
        return summary
    community, street = grid.parent, grid.parent.parent
    with clock.frozen(now):
        services = _providers(community, street, by=admin, today=timezone.localdate(now), summary=summary)
        summary.orders = _orders(grid, services, now=now)
        summary.subjects = care.build_needs_list(region=community, by=admin).added
        summary.aid = _aid(community, by=admin, rng=random.Random(f"{seed}:services"), today=now.date())
    return summary


def _providers(
    community: Region, street: Region, *, by: User, today: date, summary: ServicesSummary
) -> dict[str, Service]:
    password = make_password(DEMO_PASSWORD)
    services: dict[str, Service] = {}
    accounts = 0
    for kind, level, pattern, provider_kind, offered in PROVIDERS:
        region = street if level == RegionLevel.STREET else community
        unit, _created = Unit.objects.get_or_create(
            code=f"{region.code}-{kind}", defaults={"name": pattern.format(r=region.name), "region": region}
        )
        provider = Provider.objects.create(
            name=unit.name, kind=provider_kind, unit=unit, area=region, phone=f"0755-86{len(services):02d}1234"
        )
        summary.providers += 1
        if provider_kind != ProviderKind.PROPERTY:  # the property company's people are its 物业 account (wuye)
            # The home-care agency gets the named account and a carer; the others one account each.
            for _n in range(2 if provider_kind == ProviderKind.HOME_CARE else 1):
                accounts += 1
                name = PROVIDER_ACCOUNT.username if accounts == 1 else f"{PROVIDER_ACCOUNT.username}{accounts}"
                User.objects.create(
                    username=name, password=password, name=f"{unit.name}{accounts}", role=Role.PROVIDER, unit=unit
                )
        for name, free, price, price_unit, at_home, slotted in offered:
            service = orders.publish_service(
                provider=provider,
                by=by,
                name=name,
                area=community,
                free=free,
                price=price,
                price_unit=price_unit,
                at_home=at_home,
                description=f"{unit.name}提供的{name}。",
            )
            services[name] = service
            summary.services += 1
            if slotted:
                for day in range(1, SLOT_DAYS + 1):
                    for hour in SLOT_HOURS:
                        start = timezone.make_aware(datetime.combine(today + timedelta(days=day), time(hour)))
                        orders.add_slot(service, by=by, start=start, end=start + timedelta(hours=2), capacity=3)
    return services


def _orders(grid: Region, services: dict[str, Service], *, now: datetime) -> int:
    residents = list(User.objects.filter(role=Role.RESIDENT, person__isnull=False).order_by("date_joined", "pk")[:3])
    placed = 0
    for index, name, steps in ORDERS:
        if index >= len(residents) or name not in services:
            continue
        service = services[name]
        resident = residents[index]
        staff = workers_of(service.provider).order_by("pk")
        by, worker = staff.first(), staff.last()
        if by is None or worker is None:
            continue
        slot = service.slots.order_by("start").first()
        with clock.frozen(now - timedelta(hours=2 * (len(ORDERS) - placed))):
            order = orders.place(service=service, by=resident, slot=slot, request="演示订单")
        placed += 1
        for step in steps:
            if step == "accept":
                order = orders.accept(order, by=by)
            elif step == "decline":
                order = orders.decline(order, by=by, reason="师傅本周已约满")
            elif step == "assign":
                order = orders.assign(order, by=by, worker=worker)
            elif step == "complete":
                order = orders.complete(order, by=worker, note="已按约定完成")
            elif step == "confirm":
                order = orders.confirm(order, by=resident, rating=5, comment="很及时")
            elif step == "cancel":
                order = orders.cancel(order, by=resident, reason="家人已代办")
    return placed


# (aid kind code, department unit kind at the district, the tag its recipients hold, how many, amount)
AID = (
    ("dibao", "MZJ", "low_income", 3, "1200"),
    ("gaoling", "MZJ", "elderly_alone", 4, "200"),
    ("canji", "CL", "disabled", 3, "300"),
)


def _aid(community: Region, *, by: User, rng: random.Random, today: date) -> int:
    district = community.parent.parent if community.parent else None
    if district is None or not AidKind.objects.exists():
        return 0
    civil = Unit.objects.filter(code=f"{district.code}-MZJ").first()
    disabled, _created = Unit.objects.get_or_create(
        code=f"{district.code}-CL", defaults={"name": f"{district.name}残疾人联合会", "region": district}
    )
    departments = {"MZJ": civil, "CL": disabled}
    living = people_in(community)
    start = date(today.year, 1, 1)
    given: list[Person] = []
    on_dibao: list[Person] = []
    for code, unit_kind, tag, count, amount in AID:
        department, kind = departments[unit_kind], AidKind.objects.filter(code=code).first()
        if department is None or kind is None:
            continue
        tagged = living.filter(
            pk__in=PersonTag.objects.filter(tag__code=tag, until__isnull=True).values("person_id")
        ).order_by("pk")
        recipients = list(tagged[:count]) or list(living.order_by("pk")[:count])  # a tiny demo may have none
        for person in recipients:
            aid.record_aid(by=by, kind=kind, department=department, person=person, start=start, amount=amount)
            given.append(person)
            if code == "dibao":
                on_dibao.append(person)
    # The planted fault: the street's 特困 allowance for someone already on 低保 (exclusive kinds overlap).
    tekun = AidKind.objects.filter(code="tekun").first()
    if tekun is not None and on_dibao and civil is not None:
        person = rng.choice(on_dibao)
        aid.record_aid(by=by, kind=tekun, department=civil, person=person, start=start + timedelta(days=31))
        given.append(person)
    return len(given)
