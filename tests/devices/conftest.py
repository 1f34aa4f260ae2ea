"""A small device world on top of tests/world.py: a building in grid G1 with a dwelling where an elderly person lives
alone (with a portal account), a grid worker with a phone, one device of every type, the rule table."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from shequ.access.models import Unit
from shequ.devices import actions, alarms
from shequ.devices.actions import DeviceInput, RuleInput
from shequ.devices.models import CarPark, Device, DeviceType, Operator, OwnerKind, Rule, RuleAction
from shequ.events.models import Category
from shequ.geo.models import Building, Dwelling
from shequ.registry import actions as registry
from shequ.registry.models import CodeTable, Person
from shequ.registry.seed import seed
from tests.world import World

PREFIX = {
    DeviceType.ACCESS_DOOR: "AD",
    DeviceType.VEHICLE_GATE: "VG",
    DeviceType.SMOKE_DETECTOR: "SD",
    DeviceType.GAS_DETECTOR: "GD",
    DeviceType.LIFT_CAMERA: "LC",
    DeviceType.FALLING_OBJECT_CAMERA: "FC",
    DeviceType.WATER_METER: "WM",
    DeviceType.POWER_METER: "PM",
    DeviceType.DOOR_MAGNET: "DM",
    DeviceType.MOTION_SENSOR: "MS",
    DeviceType.EMERGENCY_BUTTON: "EB",
}
AT_DWELLING = {"smoke_detector", "gas_detector", "water_meter", "power_meter", "door_magnet", "motion_sensor",
               "emergency_button"}  # fmt: skip


@dataclass
class Site:
    world: World
    building: Building
    dwelling: Dwelling
    elder: Person
    company: Unit
    car_park: CarPark
    devices: dict[str, Device]  # by type
    keys: dict[str, str]  # device code -> key
    fire: Category
    public: Category
    rules: dict[str, Rule]

    def device(self, kind: str) -> Device:
        return self.devices[kind]


def build_site(w: World) -> Site:
    if not CodeTable.objects.exists():
        seed(apps)
    w.grid_worker.phone = "13900000001"
    w.grid_worker.save(update_fields=["phone"])
    x, y = w.point_in(w.g1)
    building = Building.objects.create(grid=w.g1, name="5栋", address="一网格幸福路5栋", lon=x, lat=y, floors=6)
    dwelling = Dwelling.objects.create(building=building, floor=5, room="502")
    elder = registry.create_person(by=None, source=registry.MANUAL, name="王独居", phone="13800000502")
    registry.move_in(elder, dwelling, role="owner", since=date(2020, 1, 1), by=None, source=registry.MANUAL)
    registry.tag(elder, "elderly_alone", since=date(2020, 1, 1), by=None, source=registry.MANUAL)
    Person.objects.filter(pk=elder.pk).update(account=w.resident)
    company = Unit.objects.create(code="G1-WY-D", name="幸福物业", region=w.c1)
    car_park = actions.create_car_park(by=None, name="幸福停车场", building=building, spaces=3)
    devices, keys = {}, {}
    for kind, prefix in PREFIX.items():
        device, key = actions.create_device(
            by=None,
            data=DeviceInput(
                code=f"{prefix}-001",
                name=f"{DeviceType(kind).label}1",
                type=kind,
                building=building,
                dwelling=dwelling if kind in AT_DWELLING else None,
                spot="" if kind in AT_DWELLING else "1号电梯",
                owner_kind=OwnerKind.PROPERTY,
                owner_unit=company,
                contact_phone="13700000001",
                car_park=car_park if kind == DeviceType.VEHICLE_GATE else None,
            ),
        )
        devices[kind], keys[device.code] = device, key
    group = Category.objects.create(code="09", name="安全隐患")
    fire = Category.objects.create(code="0901", name="消防安全", parent=group, default_level=w.urgent)
    public = Category.objects.create(code="0902", name="公共秩序", parent=group, default_level=w.general)
    rule = lambda **kw: actions.save_rule(by=None, data=RuleInput(**kw))  # noqa: E731
    rules = {
        "smoke": rule(name="烟感报警", message_type="smoke", field="level", operator=Operator.EQUALS, value="alarm",
                      category=fire, level=w.urgent, emergency=True, quiet_minutes=30, daily_limit=3),
        "gas": rule(name="燃气超限", message_type="gas", field="value", operator=Operator.ABOVE, value="20",
                    category=fire, level=w.urgent, emergency=True),
        "button": rule(name="紧急呼叫", message_type="button", category=fire, level=w.urgent, emergency=True),
        "ebike": rule(name="电动车进电梯", message_type="ebike", field="detected", operator=Operator.TRUE,
                      category=public, action=RuleAction.NOTIFY),
        "falling": rule(name="高空抛物", message_type="falling_object", category=public, level=w.general),
        "water": rule(name="独居老人用水异常", message_type="reading", device_type=DeviceType.WATER_METER,
                      operator=Operator.ZERO_FOR_DAYS, period=2, action=RuleAction.CARE_TASK, elderly_only=True),
        "motion": rule(name="独居老人久未活动", message_type="motion", operator=Operator.SILENT_FOR_HOURS, period=12,
                       action=RuleAction.CARE_TASK, elderly_only=True),
    }  # fmt: skip
    alarms.invalidate()
    return Site(w, building, dwelling, elder, company, car_park, devices, keys, fire, public, rules)


@pytest.fixture
def site(world: World) -> Site:
    yield build_site(world)
    alarms.invalidate()


def iso(at: datetime) -> str:
    return timezone.localtime(at).isoformat()


def post(client: Client, site: Site, kind: str, payload: dict, *, key: str | None = None, headers: dict | None = None):
    device = site.device(kind)
    body = json.dumps(payload, ensure_ascii=False)
    extra = {"HTTP_X_DEVICE_KEY": site.keys[device.code] if key is None else key}
    for name, value in (headers or {}).items():
        extra["HTTP_" + name.upper().replace("-", "_")] = value
    return client.post(f"/api/devices/{device.code}/messages", body, content_type="application/json", **extra)
