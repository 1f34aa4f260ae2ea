"""Every write to the device registry, the rule table, car parks, the watch list and device tasks.

Each checks who asks (area staff inside their area; the rule table: the district's administrators and dispatchers),
validates, and writes in one transaction. Ingestion (``ingest.py``) is the only other writer, for the devices.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import Unit, User
from shequ.access.scopes import covers, manages_area
from shequ.core import clock
from shequ.core.errors import InvalidInput, NotFound, PermissionDenied
from shequ.events.models import Category, Level
from shequ.geo.models import Building, Dwelling

from . import alarms
from .ingest import hash_key
from .messages import PLATE, SENDS, TYPES
from .models import (
    SWEEP_OPERATORS,
    CarPark,
    Device,
    DeviceStatus,
    DeviceType,
    Operator,
    OwnerKind,
    Rule,
    RuleAction,
    Task,
    TaskStatus,
    WatchedPlate,
)
from .queries import may_edit_rules


def _may_manage(by: User, area_code: str) -> None:
    if not manages_area(by):
        raise PermissionDenied(_("Only community, street or district staff manage devices."))
    if not covers(by, area_code):
        raise NotFound()


@dataclass(frozen=True)
class DeviceInput:
    code: str
    name: str
    type: str
    building: Building
    owner_kind: str
    dwelling: Dwelling | None = None
    spot: str = ""
    vendor: str = ""
    model: str = ""
    owner_unit: Unit | None = None
    contact_name: str = ""
    contact_phone: str = ""
    car_park: CarPark | None = None
    heartbeat_seconds: int = 900


def check(data: DeviceInput) -> None:
    """The rules a device row must meet, for the form, the API and each row of an import alike."""
    code = data.code.strip()
    if not code or len(code) > 64 or any(c in code for c in "/#+ ") or not code.isascii():
        raise InvalidInput(_("A device code is 1-64 ASCII characters without spaces, / # or +."), field="code")
    if not data.name.strip():
        raise InvalidInput(_("Give the device a name."), field="name")
    if data.type not in DeviceType.values:
        raise InvalidInput(_("Unknown device type %(type)s.") % {"type": data.type}, field="type")
    if data.owner_kind not in OwnerKind.values:
        raise InvalidInput(_("Say who owns the device."), field="owner_kind")
    if data.dwelling is not None and data.dwelling.building_id != data.building.pk:
        raise InvalidInput(_("The dwelling is not in that building."), field="dwelling")
    if data.car_park is not None and data.type != DeviceType.VEHICLE_GATE:
        raise InvalidInput(_("Only a vehicle gate counts a car park."), field="car_park")
    if not 60 <= data.heartbeat_seconds <= 7 * 86400:
        raise InvalidInput(_("The offline period is between 60 seconds and 7 days."), field="heartbeat_seconds")


def _fill(device: Device, data: DeviceInput) -> None:
    device.code, device.name = data.code.strip(), data.name.strip()[:100]
    device.type, device.vendor, device.model = data.type, data.vendor.strip()[:100], data.model.strip()[:100]
    device.building, device.dwelling, device.spot = data.building, data.dwelling, data.spot.strip()[:100]
    device.grid_id, device.area_code = data.building.grid_id, data.building.grid.code
    device.owner_kind, device.owner_unit = data.owner_kind, data.owner_unit
    device.contact_name, device.contact_phone = data.contact_name.strip()[:50], data.contact_phone.strip()[:30]
    device.car_park, device.heartbeat_seconds = data.car_park, data.heartbeat_seconds


@transaction.atomic
def create_device(*, by: User | None, data: DeviceInput) -> tuple[Device, str]:
    """A new device and its key (shown once; only its digest is kept). ``by`` None: a command or the demo."""
    check(data)
    if by is not None:
        _may_manage(by, data.building.grid.code)
    if Device.objects.filter(code=data.code.strip()).exists():
        raise InvalidInput(_("A device with the code %(code)s exists.") % {"code": data.code}, code="duplicate")
    device = Device()
    _fill(device, data)
    key = secrets.token_urlsafe(24)
    device.key_hash = hash_key(key)
    device.save()
    audit.record("write", actor=by, target=device, detail={"action": "create_device"})
    return device, key


@transaction.atomic
def update_device(device: Device, *, by: User, data: DeviceInput) -> Device:
    check(data)
    _may_manage(by, device.area_code)
    _may_manage(by, data.building.grid.code)
    if data.code.strip() != device.code:
        raise InvalidInput(_("A device's code cannot change: retire it and register a new one."), field="code")
    _fill(device, data)
    device.save()
    audit.record("write", actor=by, target=device, detail={"action": "update_device"})
    return device


@transaction.atomic
def new_key(device: Device, *, by: User, signing: bool = False) -> tuple[str, str]:
    """A new key (and with ``signing`` a new HMAC secret): the old ones stop working at once."""
    _may_manage(by, device.area_code)
    key = secrets.token_urlsafe(24)
    secret = secrets.token_urlsafe(32) if signing else ""
    Device.objects.filter(pk=device.pk).update(key_hash=hash_key(key), signing_secret=secret)
    audit.record("write", actor=by, target=device, detail={"action": "new_key", "signing": signing})
    return key, secret


@transaction.atomic
def retire(device: Device, *, by: User) -> Device:
    _may_manage(by, device.area_code)
    Device.objects.filter(pk=device.pk).update(status=DeviceStatus.RETIRED)
    audit.record("write", actor=by, target=device, detail={"action": "retire"})
    device.refresh_from_db()
    return device


# --- the rule table -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleInput:
    name: str
    message_type: str
    action: str = RuleAction.EVENT
    device_type: str = ""
    field: str = ""
    operator: str = Operator.ANY
    value: str = ""
    period: int = 0
    category: Category | None = None
    level: Level | None = None
    elderly_only: bool = False
    emergency: bool = False
    quiet_minutes: int = 30
    daily_limit: int = 5
    active: bool = True


def check_rule(data: RuleInput) -> None:
    if not data.name.strip():
        raise InvalidInput(_("Give the rule a name."), field="name")
    if data.message_type not in TYPES:
        raise InvalidInput(_("Unknown message type."), field="message_type")
    if data.device_type and data.message_type not in SENDS.get(data.device_type, set()) | {"heartbeat"}:
        raise InvalidInput(_("That device type does not send that message type."), field="device_type")
    if data.operator not in Operator.values or data.action not in RuleAction.values:
        raise InvalidInput(_("Choose a condition and an action."), field="operator")
    if data.operator not in (Operator.ANY, *SWEEP_OPERATORS):
        if data.field not in TYPES[data.message_type].model_fields:
            raise InvalidInput(_("The message type has no field %(f)s.") % {"f": data.field}, field="field")
        if data.operator != Operator.TRUE and not data.value.strip():
            raise InvalidInput(_("Give the value to compare with."), field="value")
        if data.operator in (Operator.ABOVE, Operator.AT_LEAST, Operator.BELOW) and alarms._number(data.value) is None:
            raise InvalidInput(_("Compare with a number."), field="value")
    if data.operator in SWEEP_OPERATORS and not 1 <= data.period <= 365:
        raise InvalidInput(_("Give N: 1 to 365 (days or hours)."), field="period")
    if data.operator == Operator.ZERO_FOR_DAYS and data.message_type != "reading":
        raise InvalidInput(_("“No use for N days” applies to meter readings."), field="operator")
    if data.operator == Operator.SILENT_FOR_HOURS and data.message_type not in ("motion", "door"):
        raise InvalidInput(_("“Nothing detected for N hours” applies to motion and door sensors."), field="operator")
    if data.action == RuleAction.EVENT and (data.category is None or data.category.children.exists()):
        raise InvalidInput(_("An event rule needs a specific category."), field="category")
    if not 0 <= data.quiet_minutes <= 7 * 24 * 60 or not 1 <= data.daily_limit <= 1000:
        raise InvalidInput(_("Quiet window 0-10080 minutes, daily limit 1-1000."), field="quiet_minutes")


@transaction.atomic
def save_rule(*, by: User | None, data: RuleInput, rule: Rule | None = None) -> Rule:
    """Create or change a rule; listeners pick it up within seconds (their cache, ``alarms.rules_for``)."""
    if by is not None and not may_edit_rules(by):
        raise PermissionDenied(_("Only the district's administrators and dispatchers change the rule table."))
    check_rule(data)
    rule = rule or Rule()
    for name, value in data.__dict__.items():
        setattr(rule, name, value.strip() if isinstance(value, str) else value)
    rule.updated_at = clock.now()
    rule.save()
    audit.record("write", actor=by, target=rule, detail={"action": "save_rule"})
    transaction.on_commit(alarms.invalidate)
    return rule


# --- car parks, the watch list, tasks ---------------------------------------------------------------------------


@transaction.atomic
def create_car_park(*, by: User | None, name: str, building: Building, spaces: int) -> CarPark:
    if by is not None:
        _may_manage(by, building.grid.code)
    if not name.strip() or not 1 <= spaces <= 100000:
        raise InvalidInput(_("Give the car park a name and 1-100000 spaces."), field="spaces")
    return CarPark.objects.create(
        name=name.strip()[:100], grid_id=building.grid_id, area_code=building.grid.code, address=building.address,
        spaces=spaces,
    )  # fmt: skip


@transaction.atomic
def set_occupancy(car_park: CarPark, *, by: User, occupied: int) -> CarPark:
    """A count at the gate corrected by hand (the gates missed a car, a new car park starts counting)."""
    _may_manage(by, car_park.area_code)
    if not 0 <= occupied <= car_park.spaces:
        raise InvalidInput(_("Between 0 and the number of spaces."), field="occupied")
    CarPark.objects.filter(pk=car_park.pk).update(occupied=occupied, updated_at=clock.now())
    audit.record("write", actor=by, target=car_park, detail={"action": "set_occupancy", "occupied": occupied})
    car_park.refresh_from_db()
    return car_park


@transaction.atomic
def watch_plate(*, by: User, plate: str, reason: str, area_code: str) -> WatchedPlate:
    plate = plate.strip().upper()
    if not PLATE.match(plate):
        raise InvalidInput(_("Not a plate number (e.g. 粤B12345)."), field="plate")
    if not reason.strip():
        raise InvalidInput(_("Say why the plate is watched."), field="reason")
    _may_manage(by, area_code)
    watch = WatchedPlate.objects.create(plate=plate, reason=reason.strip()[:200], area_code=area_code, created_by=by)
    audit.record("write", actor=by, target=watch, fields=["device_message.plate"], detail={"action": "watch_plate"})
    return watch


@transaction.atomic
def unwatch_plate(watch: WatchedPlate, *, by: User) -> None:
    _may_manage(by, watch.area_code)
    WatchedPlate.objects.filter(pk=watch.pk).update(active=False)
    audit.record("write", actor=by, target=watch, fields=["device_message.plate"], detail={"action": "unwatch"})


@transaction.atomic
def close_task(task: Task, *, by: User, note: str) -> Task:
    if not (by.sees_everything or task.assignee_id == by.pk or covers(by, task.area_code)):
        raise NotFound()
    if task.status != TaskStatus.OPEN:
        raise InvalidInput(_("The task is already done."), code="invalid_transition")
    task.status, task.closed_at, task.closed_by = TaskStatus.DONE, clock.now(), by
    task.note = (task.note + "\n" + note.strip()).strip()
    task.save()
    return task
