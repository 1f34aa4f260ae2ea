"""Parsing one ledger row into validated values of a Person or Organization, with a specific fault per bad cell."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from shequ.core import clock
from shequ.core.errors import InvalidInput

from ..dictionary import CodeItem, Field, FieldType
from ..validators import (
    birth_and_gender_from_id,
    check_consistent_with_id,
    check_credit_code,
    check_id_number,
    check_phone,
)
from .mapping import MODELS, ColumnMapping
from .reading import Row

_DATE = re.compile(r"([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?(?:[ T].*)?")
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")


@dataclass(frozen=True)
class Fault:
    """A rejected cell (or row, with the column of the field it concerns): a code and a Chinese reason."""

    row: int
    column: str
    value: str
    reason: str
    code: str


def parse_date(raw: str) -> date:
    match = _DATE.fullmatch(raw) or _COMPACT_DATE.fullmatch(raw)
    try:
        if match is None:
            raise ValueError
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise InvalidInput(
            _("Not a date: write it as 1980-05-01, 1980/5/1, 19800501 or 1980年5月1日."), code="date_invalid"
        ) from None


def code_lookup(fields: list[Field]) -> dict[str, dict[str, str]]:
    """Per coded attribute: every accepted spelling -> code (the code, the label, 汉 for 汉族, 1 for 01)."""
    lookup: dict[str, dict[str, str]] = {}
    for f in fields:
        if f.type != FieldType.CODE or f.code_table is None:
            continue
        spellings: dict[str, str] = {}
        for item in CodeItem.objects.filter(table=f.code_table, active=True):
            spellings[item.code] = item.code
            spellings.setdefault(item.label, item.code)
            for alias in (item.code.lstrip("0"), item.label.removesuffix("族")):
                if alias:
                    spellings.setdefault(alias, item.code)
        lookup[f.attribute] = spellings
    return lookup


class RowParser:
    """Checks rows with the code tables loaded once: one query per table per file, none per row."""

    def __init__(self, mapping: ColumnMapping) -> None:
        self.mapping = mapping
        from . import kinds

        self.model = MODELS.get(mapping.record_type) or kinds.get(mapping.record_type).model
        self.codes = code_lookup(list(mapping.columns.values()))
        self.required = [f for f in mapping.columns.values() if f.required and f.record == mapping.record_type]
        self.today = clock.now().date()

    def _value(self, f: Field, raw: str) -> Any:
        if f.type == FieldType.ID_NUMBER:
            return check_id_number(raw)
        if f.type == FieldType.CREDIT_CODE:
            return check_credit_code(raw)
        if f.type == FieldType.DATE:
            return parse_date(raw)
        if f.type == FieldType.PHONE:
            return check_phone(raw, field=f.attribute)
        if f.type == FieldType.CODE:
            code = self.codes.get(f.attribute, {}).get(raw)
            if code is None:
                raise InvalidInput(
                    _("%(value)s is not a valid %(field)s: use a code or a name from its code table.")
                    % {"value": raw, "field": f.label},
                    code="invalid_code",
                )
            return code
        if f.type == FieldType.REFERENCE:
            return raw  # an address, resolved to a record by the importer of that record type
        limit = getattr(self.model._meta.get_field(f.attribute), "max_length", None)
        if limit and len(raw) > limit:
            raise InvalidInput(
                _("%(field)s is longer than %(n)d characters.") % {"field": f.label, "n": limit}, code="too_long"
            )
        return raw

    def parse(self, row: Row) -> tuple[dict[str, Any], list[Fault]]:
        """Values of the non-empty mapped cells (an empty cell never erases a value), and every fault found."""
        values: dict[str, Any] = {}
        faults: list[Fault] = []
        for header, f in self.mapping.columns.items():
            raw = row.cells.get(header, "").strip()
            if not raw or f.record != self.mapping.record_type:  # another record's column: its importer reads it
                continue
            try:
                values[f.attribute] = self._value(f, raw)
            except InvalidInput as error:
                faults.append(Fault(row.number, header, raw, error.message, error.code))
        for f in self.required:
            header = self.mapping.header_of(f.attribute)
            if not row.cells.get(header, "").strip():
                faults.append(
                    Fault(row.number, header, "", _("%(field)s is required.") % {"field": f.label}, "required")
                )
        number = values.get("id_number")
        if number and not faults:
            try:
                check_consistent_with_id(number, birth_date=values.get("birth_date"), gender=values.get("gender", ""))
            except InvalidInput as error:
                header = self.mapping.header_of(error.field or "")
                faults.append(Fault(row.number, header, row.cells.get(header, ""), error.message, error.code))
            else:
                from_id, sex = birth_and_gender_from_id(number)
                values.setdefault("birth_date", from_id)
                values.setdefault("gender", sex)
        born = values.get("birth_date")
        if born and born > self.today:
            header = self.mapping.header_of("birth_date")
            faults.append(
                Fault(
                    row.number,
                    header,
                    row.cells.get(header, ""),
                    _("The birth date is in the future."),
                    "birth_date_future",
                )
            )
        return values, faults
