"""Exports of the community base to XLSX and CSV: what the user may see, in the dictionary's words.

Rows come from the access point (``queries.people_for`` / ``organizations_for``), or the list's search
(``registry.search``, built on the same access point) when there is a query, and
every export passes through ``release`` (the export audit). The records are masked by the user's clearance as they
are read (the access point hands out masked instances, ``registry.visibility``), fields hidden from the user are not
columns at all, and tags above the user's clear level are left out of the tags column.
Columns are the dictionary's fields with their Chinese labels; coded values are written as their names. Rows are
read in chunks and written as they come: CSV streams to the client, XLSX goes through openpyxl's write-only mode
into a temporary file, so a 100,000-row export never sits in memory.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from django.db.models import Model, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import User
from shequ.access.scopes import area_prefix
from shequ.audit.actions import Target
from shequ.core import clock
from shequ.core.errors import InvalidInput

from . import queries, search, visibility
from .dictionary import CodeItem, Field, FieldType
from .models import Organization, OrganizationTag, Person, PersonTag

CHUNK = 2000
BOM = "\ufeff"  # Excel opens a CSV as UTF-8 only when it starts with a byte-order mark
MODELS: dict[str, type[Model]] = {"person": Person, "organization": Organization}
FORMATS = ("xlsx", "csv")


def record_names() -> dict[str, str]:
    return {"person": _("People"), "organization": _("Organizations")}


@dataclass
class Export:
    """One export: who asks, which records, which columns (dictionary fields), and the rows' source."""

    user: User
    record_type: str
    query: str
    columns: list[Field]
    records: QuerySet

    @property
    def headers(self) -> list[str]:
        return [f.label for f in self.columns]

    def file_name(self, fmt: str) -> str:
        return f"{record_names()[self.record_type]}_{clock.now():%Y%m%d_%H%M}.{fmt}"


def records_for(user: User, record_type: str, query: str = "") -> QuerySet:
    """What the user may see, narrowed by the list pages' search (``registry.search``) when there is a query."""
    if not query.strip():
        return queries.people_for(user) if record_type == "person" else queries.organizations_for(user)
    parsed = search.classify(query)
    if record_type == "person":
        return search.people_matching(user, parsed)
    return search.organizations_matching(user, parsed)


def columns_for(record_type: str, user: User | None = None) -> list[Field]:
    """The dictionary's fields of a record type, in the model's order, tags last (without those hidden from
    ``user``)."""
    model = MODELS[record_type]
    order = {name: i for i, name in enumerate(model.TRACKED)}  # type: ignore[attr-defined]
    fields = Field.objects.filter(name__startswith=f"{record_type}.").select_related("code_table")
    viewer = visibility.viewer_for(user) if user is not None else None
    known = [
        f
        for f in fields
        if (f.attribute in order or f.type == FieldType.TAGS) and (viewer is None or not viewer.hidden(f.name))
    ]
    return sorted(known, key=lambda f: order.get(f.attribute, len(order)))


def release(export: Export, *, download: bool) -> Export:
    """The one gate every export passes through before a row is written.

    The records already come from the access point (what the user may see). A download is an audit entry: who,
    what, which fields, the search and the row count (masking by clearance will narrow the columns here too)."""
    if download:
        audit.record(
            "export",
            actor=export.user,
            target=Target(f"registry.{export.record_type}", "", area_prefix(export.user) or ""),
            fields=[f.name for f in export.columns],
            detail={"query": export.query, "rows": export.records.count()},
        )
    return export


def build_export(user: User, record_type: str, query: str = "", *, download: bool = False) -> Export:
    """The export of what ``user`` may see; ``download`` when rows will be written (the preview only counts)."""
    if record_type not in MODELS:
        raise InvalidInput(_("Choose people or organizations to export."), code="export_record_type")
    export = Export(
        user=user,
        record_type=record_type,
        query=query,
        columns=columns_for(record_type, user),
        records=records_for(user, record_type, query),
    )
    return release(export, download=download)


def _open_tags(model: type[Model]) -> Prefetch:
    today = clock.now().date()
    open_now = Q(until__isnull=True) | Q(until__gt=today)
    tags = (PersonTag if model is Person else OrganizationTag).objects.filter(open_now, since__lte=today)
    return Prefetch("tags", queryset=tags.select_related("tag"), to_attr="open_tags")


def _cell(field: Field, codes: dict[str, dict[str, str]], viewer: visibility.Viewer) -> Callable[[Any], str]:
    attribute = field.attribute
    if field.type == FieldType.TAGS:
        record_type = field.record
        return lambda record: "、".join(t.tag.name for t in record.open_tags if viewer.tag_clear(t.tag, record_type))
    if field.type == FieldType.CODE:
        names = codes.get(attribute, {})
        return lambda record: names.get(getattr(record, attribute), getattr(record, attribute))
    if field.type == FieldType.REFERENCE:
        return lambda record: str(getattr(record, attribute) or "")

    def text(record: Any) -> str:
        value = getattr(record, attribute)
        if value is None:
            return ""
        return value.isoformat() if isinstance(value, date) else str(value)

    return text


def rows(export: Export) -> Iterator[list[str]]:
    """The export's rows as text, read ``CHUNK`` records at a time."""
    model = MODELS[export.record_type]
    tables = {f.attribute: f.code_table_id for f in export.columns if f.type == FieldType.CODE and f.code_table_id}
    labels: dict[int, dict[str, str]] = {}
    for table, code, label in CodeItem.objects.filter(table_id__in=tables.values()).values_list(
        "table_id", "code", "label"
    ):
        labels.setdefault(table, {})[code] = label
    codes = {attribute: labels.get(table, {}) for attribute, table in tables.items()}
    viewer = visibility.viewer_for(export.user)
    cells = [_cell(f, codes, viewer) for f in export.columns]
    records = export.records.order_by("pk").prefetch_related(_open_tags(model))
    if model is Organization:
        records = records.select_related("premises__building")
    for record in records.iterator(chunk_size=CHUNK):
        yield [cell(record) for cell in cells]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(headers: list[str], body: Iterable[list[str]], *, lines: int = 500) -> Iterator[bytes]:
    """CSV as UTF-8 with a BOM (what Excel expects), ``lines`` rows per chunk."""
    writer = csv.writer(_Echo())
    buffer = [BOM + writer.writerow(headers)]
    for row in body:
        buffer.append(writer.writerow(row))
        if len(buffer) >= lines:
            yield "".join(buffer).encode("utf-8")
            buffer = []
    if buffer:
        yield "".join(buffer).encode("utf-8")


def write_xlsx(headers: list[str], body: Iterable[list[Any]], target: IO[bytes], *, title: str) -> None:
    """An XLSX workbook of one sheet, written row by row (openpyxl write-only mode keeps no rows in memory)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append(headers)
    for row in body:
        sheet.append(row)
    book.save(target)


def xlsx_file(headers: list[str], body: Iterable[list[Any]], *, title: str) -> IO[bytes]:
    """The workbook in an anonymous temporary file, rewound for reading (it disappears when closed)."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 -- handed to the response, which closes it
    write_xlsx(headers, body, target, title=title)
    target.seek(0)
    return target


def export_csv(export: Export) -> Iterator[bytes]:
    return csv_chunks(export.headers, rows(export))


def export_xlsx(export: Export) -> IO[bytes]:
    return xlsx_file(export.headers, rows(export), title=record_names()[export.record_type])
