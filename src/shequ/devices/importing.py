"""The device registry as a ledger: import (CSV or XLSX, read by the registry's ``read_table``) and export.

An import is all or nothing: every row is checked first (against the same ``actions.check`` the API and pages use,
and against the importer's area); one rejected row and nothing is written, and every rejected row is listed with
its reason. Otherwise every device is made in one transaction, each with its key (shown once).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shequ.access.models import Unit, User
from shequ.core.errors import DomainError
from shequ.registry.importing.reading import read_table
from shequ.registry.queries import buildings_for

from . import actions
from .actions import DeviceInput
from .models import CarPark, Device, DeviceType, OwnerKind

# Column headers (as exported) and the DeviceInput field each fills.
COLUMNS = [
    ("编码", "code"),
    ("名称", "name"),
    ("类型", "type"),
    ("厂商", "vendor"),
    ("型号", "model"),
    ("楼栋地址", "building"),
    ("房号", "room"),
    ("位置", "spot"),
    ("权属", "owner_kind"),
    ("权属单位编码", "owner_unit"),
    ("联系人", "contact_name"),
    ("联系电话", "contact_phone"),
    ("离线判定（秒）", "heartbeat_seconds"),
    ("停车场", "car_park"),
]
REQUIRED = ("编码", "名称", "类型", "楼栋地址", "权属")


@dataclass
class Outcome:
    created: list[tuple[Device, str]] = field(default_factory=list)  # (device, its key)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)
    rows: int = 0


def _choice(value: str, choices: type[DeviceType] | type[OwnerKind]) -> str:
    for code, label in choices.choices:
        if value in (code, str(label)):
            return code
    return value


def row_input(cells: dict[str, str], *, user: User, buildings: dict[str, object]) -> DeviceInput:
    get = {attr: cells.get(header, "").strip() for header, attr in COLUMNS}
    building = buildings.get(get["building"])
    if building is None:
        raise DomainError(_("No building with the address %(a)s in your area.") % {"a": get["building"]})
    dwelling = None
    if get["room"]:
        dwelling = building.dwellings.filter(room=get["room"]).first()  # type: ignore[attr-defined]
        if dwelling is None:
            raise DomainError(_("The building has no dwelling %(room)s.") % {"room": get["room"]})
    unit = None
    if get["owner_unit"]:
        unit = Unit.objects.filter(code=get["owner_unit"]).first()
        if unit is None:
            raise DomainError(_("No unit has the code %(code)s.") % {"code": get["owner_unit"]})
    car_park = None
    if get["car_park"]:
        car_park = CarPark.objects.filter(name=get["car_park"], area_code=building.grid.code).first()  # type: ignore[attr-defined]
        if car_park is None:
            raise DomainError(_("No car park %(name)s in the building's grid.") % {"name": get["car_park"]})
    seconds = get["heartbeat_seconds"] or "900"
    if not seconds.isdigit():
        raise DomainError(_("The offline period is a whole number of seconds."))
    return DeviceInput(
        code=get["code"],
        name=get["name"],
        type=_choice(get["type"], DeviceType),
        building=building,  # type: ignore[arg-type]
        dwelling=dwelling,
        spot=get["spot"],
        vendor=get["vendor"],
        model=get["model"],
        owner_kind=_choice(get["owner_kind"], OwnerKind),
        owner_unit=unit,
        contact_name=get["contact_name"],
        contact_phone=get["contact_phone"],
        car_park=car_park,
        heartbeat_seconds=int(seconds),
    )


def import_devices(content: bytes, file_name: str, *, by: User) -> Outcome:
    """Check every row, then make all the devices or none. A file that cannot be read raises ``InvalidInput``."""
    table = read_table(content, file_name)
    missing = [h for h in REQUIRED if h not in table.headers]
    outcome = Outcome(rows=len(table.rows))
    if missing:
        outcome.rejected.append((1, _("Missing columns: %(cols)s") % {"cols": "、".join(missing)}))
        return outcome
    addresses = {r.cells.get("楼栋地址", "").strip() for r in table.rows}
    buildings = {b.address: b for b in buildings_for(by).filter(address__in=addresses).select_related("grid")}
    inputs: list[tuple[int, DeviceInput]] = []
    seen: set[str] = set()
    existing = set(
        Device.objects.filter(code__in=[r.cells.get("编码", "").strip() for r in table.rows]).values_list(
            "code", flat=True
        )
    )
    for row in table.rows:
        try:
            data = row_input(row.cells, user=by, buildings=buildings)
            actions.check(data)
            if data.code in existing or data.code in seen:
                raise DomainError(_("A device with the code %(code)s exists.") % {"code": data.code})
        except DomainError as e:
            outcome.rejected.append((row.number, e.message))
            continue
        seen.add(data.code)
        inputs.append((row.number, data))
    if outcome.rejected or not inputs:
        return outcome
    try:
        with transaction.atomic():
            for number, data in inputs:
                try:
                    outcome.created.append(actions.create_device(by=by, data=data))
                except DomainError as e:
                    outcome.rejected.append((number, e.message))
                    raise
    except DomainError:
        outcome.created = []  # rolled back: all or nothing
    return outcome


def _rows(devices) -> list[list[str]]:
    out = []
    for d in devices:
        out.append(
            [
                d.code, d.name, str(d.get_type_display()), d.vendor, d.model, d.building.address,
                d.dwelling.room if d.dwelling else "", d.spot, str(d.get_owner_kind_display()),
                d.owner_unit.code if d.owner_unit else "", d.contact_name, d.contact_phone,
                str(d.heartbeat_seconds), d.car_park.name if d.car_park else "",
            ]
        )  # fmt: skip
    return out


def export_csv(devices) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([h for h, _a in COLUMNS])
    writer.writerows(_rows(devices))
    return ("\ufeff" + buffer.getvalue()).encode()  # with a BOM: Excel on Chinese Windows reads it as UTF-8


def export_xlsx(devices) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(pgettext("devices", "Devices"))
    sheet.append([h for h, _a in COLUMNS])
    for row in _rows(devices):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
