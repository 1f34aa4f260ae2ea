"""The demo district's devices: in the first grid worker's grid (where the demo's resident accounts live) and a few
more grids, a door and a vehicle gate per estate with its car park, lift and falling-object cameras, smoke and gas
detectors in dwellings (the resident accounts' homes among them), and water meters, motion sensors and emergency
buttons where elderly people live alone; the starting rule table. Demo device keys are derived from the secret key
(``demo_key``) so that ``simulate_devices`` can post over HTTP."""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.db.models import Case, When

from shequ.access.models import Role, User
from shequ.devices import actions, seed
from shequ.devices.actions import DeviceInput
from shequ.devices.ingest import hash_key
from shequ.devices.models import Device, DeviceType, OwnerKind
from shequ.devices.simulator import demo_key
from shequ.geo.models import Building, Dwelling, Region
from shequ.registry.models import PersonTag
from shequ.registry.queries import current_residences

GRIDS = 4
BUILDINGS_PER_GRID = 3


@dataclass
class DeviceSummary:
    devices: int = 0
    car_parks: int = 0
    rules: int = 0


def _add(code: str, name: str, kind: str, building: Building, *, dwelling=None, spot: str = "", unit=None, **kw):
    device, _key = actions.create_device(
        by=None,
        data=DeviceInput(
            code=code, name=name, type=kind, building=building, dwelling=dwelling, spot=spot,
            owner_kind=OwnerKind.PROPERTY if unit else OwnerKind.COMMUNITY, owner_unit=unit,
            vendor="示范厂商", model=f"{kind.upper()}-1", contact_phone="13800000000", heartbeat_seconds=900, **kw,
        ),
    )  # fmt: skip
    Device.objects.filter(pk=device.pk).update(key_hash=hash_key(demo_key(code)))
    return device


def build_devices(*, seed_value: int = 1) -> DeviceSummary:
    gen = random.Random(seed_value)
    summary = DeviceSummary(rules=len(seed.default_rules()))
    worker = User.objects.filter(username="wanggeyuan").select_related("region").first()
    first = worker.region if worker and worker.region else None
    grids = list(Region.objects.filter(level="grid").order_by("code")[:GRIDS])
    if first is not None and first not in grids:
        grids = [first, *grids[: GRIDS - 1]]
    resident_homes = set(
        current_residences().filter(person__account__role=Role.RESIDENT).values_list("dwelling_id", flat=True)
    )
    elderly = set(
        current_residences()
        .filter(
            person_id__in=PersonTag.objects.filter(tag__code="elderly_alone", until__isnull=True).values("person_id")
        )
        .values_list("dwelling_id", flat=True)
    )
    for g, grid in enumerate(grids):
        buildings = list(Building.objects.filter(grid=grid).order_by("pk")[:BUILDINGS_PER_GRID])
        for b, building in enumerate(buildings):
            prefix = f"D{g + 1:02d}{b + 1:02d}"
            unit = building.managed_by
            park = actions.create_car_park(by=None, name=f"{building.name}停车场", building=building,
                                           spaces=gen.choice([40, 60, 80, 120]))  # fmt: skip
            summary.car_parks += 1
            _add(f"{prefix}-AD1", f"{building.name}门禁", DeviceType.ACCESS_DOOR, building, spot="单元门", unit=unit)
            _add(f"{prefix}-VG1", f"{building.name}道闸", DeviceType.VEHICLE_GATE, building, spot="停车场入口",
                 unit=unit, car_park=park)  # fmt: skip
            _add(
                f"{prefix}-LC1",
                f"{building.name}电梯摄像头",
                DeviceType.LIFT_CAMERA,
                building,
                spot="1号电梯",
                unit=unit,
            )
            _add(f"{prefix}-FC1", f"{building.name}高空抛物摄像头", DeviceType.FALLING_OBJECT_CAMERA, building,
                 spot="楼前", unit=unit)  # fmt: skip
            summary.devices += 4
            dwellings = list(building.dwellings.order_by("floor", "room"))
            homes = [d for d in dwellings if d.pk in resident_homes] + gen.sample(dwellings, min(3, len(dwellings)))
            for n, dwelling in enumerate(dict.fromkeys(homes)):
                _add(
                    f"{prefix}-SD{n + 1}",
                    f"{dwelling.room}烟感",
                    DeviceType.SMOKE_DETECTOR,
                    building,
                    dwelling=dwelling,
                )
                summary.devices += 1
                if n == 0:
                    _add(f"{prefix}-GD{n + 1}", f"{dwelling.room}燃气探测器", DeviceType.GAS_DETECTOR, building,
                         dwelling=dwelling)  # fmt: skip
                    summary.devices += 1
    # Where elderly people live alone: a water meter, a motion sensor and an emergency button (the demo's grids first).
    homes = (
        Dwelling.objects.filter(pk__in=elderly)
        .select_related("building")
        .order_by(Case(When(building__grid__in=grids, then=0), default=1), "pk")
    )
    for n, dwelling in enumerate(homes[:6]):
        for kind, tag in ((DeviceType.WATER_METER, "WM"), (DeviceType.MOTION_SENSOR, "MS"),
                          (DeviceType.EMERGENCY_BUTTON, "EB")):  # fmt: skip
            _add(f"E{n + 1:02d}-{tag}1", f"{dwelling.room}{DeviceType(kind).label}", kind, dwelling.building,
                 dwelling=dwelling)  # fmt: skip
            summary.devices += 1
    return summary
