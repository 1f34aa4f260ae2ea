"""Column mappings: spreadsheet header -> data dictionary field, kept per ledger source and reused."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from shequ.core import clock
from shequ.core.errors import InvalidInput

from ..dictionary import Field, FieldType
from ..models import LedgerSource, Organization, Person

# The record types a ledger can hold, and the model each one fills.
MODELS: dict[str, type[Person] | type[Organization]] = {"person": Person, "organization": Organization}

# Headers departments commonly write for a field whose dictionary label differs (the label always works too).
ALIASES: dict[str, dict[str, str]] = {
    "person": {
        "身份证号": "person.id_number",
        "身份证号码": "person.id_number",
        "证件号码": "person.id_number",
        "手机号": "person.phone",
        "手机号码": "person.phone",
        "电话": "person.phone",
        "户籍地": "person.hukou_address",
    },
    "organization": {
        "信用代码": "organization.credit_code",
        "社会信用代码": "organization.credit_code",
        "名称": "organization.name",
        "单位": "organization.name",
        "法人": "organization.legal_representative",
        "法人代表": "organization.legal_representative",
        "经营地址": "organization.address",
        "联系方式": "organization.contact_phone",
    },
}

# Fields of another record a ledger of this record type may carry, with what the column holds there (its header):
# a people ledger may say where each person works, by the organisation's credit code.
LINKED: dict[str, dict[str, str]] = {"person": {"employment.organization": "工作单位统一社会信用代码"}}

_NOISE = re.compile(r"[\s*＊:：()（）]|必填")


def _clean_header(header: str) -> str:
    """A header as compared with labels: no spaces, required-marks (*) or colons, such as "* 姓名：" -> "姓名"."""
    return _NOISE.sub("", header)


def importable_fields(record_type: str) -> dict[str, Field]:
    """The dictionary fields an import of this record type may fill (``kinds``: its own, or another app's)."""
    from . import kinds

    return kinds.get(record_type).fields()


def builtin_fields(record_type: str) -> dict[str, Field]:
    """People's and organisations' importable fields: ``<record>.*`` columns of the model, and the linked ones."""
    model = MODELS.get(record_type)
    if model is None:
        raise InvalidInput(_("This ledger source holds no importable records."), code="record_type_unknown")
    found = Field.objects.filter(name__startswith=f"{record_type}.").exclude(type=FieldType.TAGS)
    fields = {f.name: f for f in found.select_related("code_table") if f.attribute in model.TRACKED}
    for linked in Field.objects.filter(name__in=list(LINKED.get(record_type, {}))):
        # Named for what the column holds, and optional in a ledger (never saved: the dictionary keeps its own).
        linked.label, linked.required = LINKED[record_type][linked.name], False
        fields[linked.name] = linked
    return fields


def person_fields() -> dict[str, Field]:
    return importable_fields("person")


@dataclass
class ColumnMapping:
    columns: dict[str, Field]  # header -> field
    unmapped: list[str] = field(default_factory=list)
    record_type: str = "person"

    def header_of(self, attribute: str) -> str:
        """The column of one of the record type's own fields (by attribute), or ""."""
        return next(
            (h for h, f in self.columns.items() if f.attribute == attribute and f.record == self.record_type), ""
        )

    def header_of_field(self, name: str) -> str:
        """The column mapped to a dictionary field by its full name (``employment.organization``), or ""."""
        return next((h for h, f in self.columns.items() if f.name == name), "")


def suggest(source: LedgerSource, headers: list[str], fields: dict[str, Field] | None = None) -> dict[str, str]:
    """The field each header maps to without an override: the saved mapping (where "" means "not imported"),
    else the dictionary label, a common alias or the field's own name; "" when nothing fits."""
    fields = fields if fields is not None else importable_fields(source.record_type)
    by_label = {_clean_header(f.label): f.name for f in fields.values()}
    aliases = ALIASES.get(source.record_type, {})
    found: dict[str, str] = {}
    for header in headers:
        if header in source.mapping:
            found[header] = source.mapping[header] or ""
            continue
        clean = _clean_header(header)
        target = by_label.get(clean) or aliases.get(clean) or ""
        if not target:
            for name in (clean, f"{source.record_type}.{clean}"):
                if name in fields:
                    target = name
                    break
        found[header] = target
    return found


def resolve_mapping(source: LedgerSource, headers: list[str], overrides: dict[str, str] | None = None) -> ColumnMapping:
    """Map each header: an explicit override, else the source's saved mapping, else a dictionary label or name.

    An override to an empty field name ignores that column. A mapping that names an unknown column or field,
    maps two columns to one field, or leaves a required field unmapped is refused before any row is read.
    """
    fields = importable_fields(source.record_type)
    overrides = overrides or {}
    unknown_columns = sorted(set(overrides) - set(headers))
    if unknown_columns:
        raise InvalidInput(
            _("The file has no column %(column)s.") % {"column": "、".join(unknown_columns)},
            code="mapping_unknown_column",
        )
    suggested = suggest(source, headers, fields)
    mapping = ColumnMapping(columns={}, record_type=source.record_type)
    for header in headers:
        target = (overrides[header] if header in overrides else suggested[header]).strip()
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
    """Keep this file's mapping for the source's next file (headers of earlier files stay remembered).

    A column left out is saved as "" so that it stays left out next time, even if its header is a label."""
    merged = {**source.mapping, **{h: f.name for h, f in mapping.columns.items()}}
    for header in mapping.unmapped:
        merged[header] = ""
    if merged != source.mapping:
        source.mapping = merged
        source.updated_at = clock.now()
        source.save(update_fields=["mapping", "updated_at"])
