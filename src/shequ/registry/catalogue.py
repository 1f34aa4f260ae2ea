"""The data resource catalogue (数据资源目录): the data dictionary published as a document other systems read.

One entry per field, grouped by the record type it describes (the 信息资源), with the columns a government data
catalogue carries: code, name, type, code table and standard, level, sharing and whether property companies may
see it, the providing department, whether it is required, and a description. Published as XLSX (a sheet of
fields and a sheet of code table items) and as JSON.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import IO, Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from shequ.core import clock

from .dictionary import CodeItem, CodeTable, Field, FieldType, Sensitivity
from .models import Organization, Person

MODELS = {"person": Person, "organization": Organization}

# The record types the dictionary describes, in the order the catalogue lists them.
RECORDS = {
    "person": gettext_lazy("People"),
    "organization": gettext_lazy("Organizations"),
    "household": gettext_lazy("Households"),
    "residence": gettext_lazy("Residences"),
    "employment": gettext_lazy("Employments"),
    "device_message": gettext_lazy("Device messages"),  # devices: plates and door openings (L3)
}


def record_name(record: str) -> str:
    return str(RECORDS.get(record, record))


def sharing(level: str) -> str:
    """共享属性 from the level: L1 shared freely, L2 and L3 on request, L4 not shared outside its owner."""
    if level == Sensitivity.L1:
        return _("Shared without conditions")
    if level == Sensitivity.L4:
        return _("Not shared")
    return _("Shared on conditions")


def fields(query: str = "") -> QuerySet[Field]:
    """Dictionary fields, with a search over name, label, description, owner and code table."""
    found = Field.objects.select_related("code_table")
    query = query.strip()
    if query:
        found = found.filter(
            Q(name__icontains=query)
            | Q(label__icontains=query)
            | Q(description__icontains=query)
            | Q(owner__icontains=query)
            | Q(code_table__name__icontains=query)
        )
    return found


def grouped(found: QuerySet[Field]) -> list[tuple[str, str, list[Field]]]:
    """(record code, record name, fields) in the catalogue's order, unknown record types last."""
    groups: dict[str, list[Field]] = {}
    for f in found:
        groups.setdefault(f.record, []).append(f)
    order = list(RECORDS)
    keys = sorted(groups, key=lambda r: (order.index(r) if r in order else len(order), r))
    return [(r, record_name(r), sorted(groups[r], key=_field_order)) for r in keys]


def _field_order(f: Field) -> tuple[int, str]:
    """A record's fields in its model's order (identity first, as forms show them); others by name."""
    tracked: tuple[str, ...] = getattr(MODELS.get(f.record), "TRACKED", ())
    return (tracked.index(f.attribute) if f.attribute in tracked else len(tracked), f.name)


@dataclass
class Entry:
    number: int
    resource: str
    resource_name: str
    code: str
    name: str
    type: str
    code_table: str
    standard: str
    sensitivity: str
    sensitivity_name: str
    sharing: str
    visible_to_property: bool
    owner: str
    required: bool
    description: str


def entries() -> list[Entry]:
    found: list[Entry] = []
    for record, record_label, group in grouped(fields()):
        for f in group:
            table = f.code_table
            found.append(
                Entry(
                    number=len(found) + 1,
                    resource=record,
                    resource_name=record_label,
                    code=f.name,
                    name=f.label,
                    type=str(FieldType(f.type).label),
                    code_table=table.name if table else "",
                    standard=table.standard if table else "",
                    sensitivity=f.sensitivity,
                    sensitivity_name=str(Sensitivity(f.sensitivity).label),
                    sharing=sharing(f.sensitivity),
                    visible_to_property=f.visible_to_property,
                    owner=f.owner,
                    required=f.required,
                    description=f.description,
                )
            )
    return found


def headers() -> list[str]:
    return [
        _("No."),
        _("Information resource"),
        _("Data item code"),
        _("Data item name"),
        _("Data type"),
        _("Code table"),
        _("Standard"),
        _("Sensitivity"),
        _("Sharing"),
        _("Visible to property companies"),
        _("Providing department"),
        _("Required"),
        pgettext("registry", "Description"),
    ]


def _yes(value: bool) -> str:
    return _("Yes") if value else _("No")


def row(entry: Entry) -> list[Any]:
    return [
        entry.number,
        entry.resource_name,
        entry.code,
        entry.name,
        entry.type,
        entry.code_table,
        entry.standard,
        entry.sensitivity_name,
        entry.sharing,
        _yes(entry.visible_to_property),
        entry.owner,
        _yes(entry.required),
        entry.description,
    ]


def title() -> str:
    return _("Data resource catalogue")


def as_json() -> dict[str, Any]:
    """The catalogue as a JSON document: its fields and the code tables they use, with every item."""
    with translation.override(settings.LANGUAGE_CODE):
        tables = CodeTable.objects.prefetch_related("items").order_by("code")
        return {
            "title": title(),
            "generated_at": clock.now().isoformat(),
            "fields": [asdict(e) for e in entries()],
            "code_tables": [
                {
                    "code": t.code,
                    "name": t.name,
                    "standard": t.standard,
                    "items": [{"code": i.code, "label": i.label, "active": i.active} for i in t.items.all()],
                }
                for t in tables
            ],
        }


def json_bytes() -> bytes:
    return json.dumps(as_json(), ensure_ascii=False, indent=2).encode("utf-8")


def write_xlsx(target: IO[bytes]) -> None:
    """Two sheets: the catalogue of fields, and every code table item."""
    from openpyxl import Workbook

    with translation.override(settings.LANGUAGE_CODE):
        book = Workbook(write_only=True)
        sheet = book.create_sheet(title=title()[:31])
        sheet.append(headers())
        for entry in entries():
            sheet.append(row(entry))
        items = book.create_sheet(title=_("Code tables")[:31])
        items.append([_("Code table code"), _("Code table"), _("Standard"), _("Code"), _("Name"), _("Active")])
        for item in CodeItem.objects.select_related("table").order_by("table__code", "order", "code"):
            table = item.table
            items.append([table.code, table.name, table.standard, item.code, item.label, _yes(item.active)])
        book.save(target)
