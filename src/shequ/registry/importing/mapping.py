"""Column mappings: spreadsheet header -> data dictionary field, kept per ledger source and reused."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from shequ.core import clock
from shequ.core.errors import InvalidInput

from ..dictionary import Field, FieldType
from ..models import LedgerSource, Person


def person_fields() -> dict[str, Field]:
    """The dictionary fields an import may fill: ``person.*`` fields that are columns of Person."""
    found = Field.objects.filter(name__startswith="person.").exclude(type=FieldType.TAGS).select_related("code_table")
    return {f.name: f for f in found if f.attribute in Person.TRACKED}


@dataclass
class ColumnMapping:
    columns: dict[str, Field]  # header -> field
    unmapped: list[str] = field(default_factory=list)

    def header_of(self, attribute: str) -> str:
        return next((h for h, f in self.columns.items() if f.attribute == attribute), "")


def resolve_mapping(source: LedgerSource, headers: list[str], overrides: dict[str, str] | None = None) -> ColumnMapping:
    """Map each header: an explicit override, else the source's saved mapping, else a dictionary label or name.

    An override to an empty field name ignores that column. A mapping that names an unknown column or field,
    maps two columns to one field, or leaves a required field unmapped is refused before any row is read.
    """
    fields = person_fields()
    by_label = {f.label: f.name for f in fields.values()}
    overrides = overrides or {}
    unknown_columns = sorted(set(overrides) - set(headers))
    if unknown_columns:
        raise InvalidInput(
            _("The file has no column %(column)s.") % {"column": "、".join(unknown_columns)},
            code="mapping_unknown_column",
        )
    mapping = ColumnMapping(columns={})
    for header in headers:
        if header in overrides:
            target = overrides[header].strip()
        else:
            target = source.mapping.get(header) or by_label.get(header) or ""
            if not target and f"person.{header}" in fields:
                target = f"person.{header}"
        if not target:
            mapping.unmapped.append(header)
            continue
        if target not in fields:
            raise InvalidInput(
                _("%(field)s is not a field of the data dictionary that an import can fill.") % {"field": target},
                code="mapping_unknown_field",
            )
        mapping.columns[header] = fields[target]
    targets = [f.name for f in mapping.columns.values()]
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        raise InvalidInput(
            _("Several columns are mapped to %(field)s.") % {"field": "、".join(fields[t].label for t in twice)},
            code="mapping_duplicate_field",
        )
    missing = [f.label for f in fields.values() if f.required and f.name not in targets]
    if missing:
        raise InvalidInput(
            _("No column is mapped to the required field %(field)s.") % {"field": "、".join(missing)},
            code="mapping_missing_required",
        )
    return mapping


def save_mapping(source: LedgerSource, mapping: ColumnMapping) -> None:
    """Keep this file's mapping for the source's next file (headers of earlier files stay remembered)."""
    merged = {**source.mapping, **{h: f.name for h, f in mapping.columns.items()}}
    for header in mapping.unmapped:
        merged.pop(header, None)
    if merged != source.mapping:
        source.mapping = merged
        source.updated_at = clock.now()
        source.save(update_fields=["mapping", "updated_at"])
