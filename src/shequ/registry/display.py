"""What the community base's pages show of a record, driven by the data dictionary: field labels, code-table
labels, values masked by the viewer's clearance, the history of changes, held and ended tags."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import Http404

from shequ.core.errors import NotFound

from . import queries, visibility
from .dictionary import CodeItem, Field
from .models import Change, SourceKind


def or_404(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except NotFound as e:
        raise Http404(e.message) from e


def dictionary_fields(record_type: str, names: tuple[str, ...]) -> list[Field]:
    """The dictionary's fields of a record type, in the model's order."""
    by_name = {f.attribute: f for f in Field.objects.filter(name__startswith=f"{record_type}.")}
    return [by_name[n] for n in names if n in by_name]


def code_labels(fields: list[Field]) -> dict[str, dict[str, str]]:
    tables = [f.code_table_id for f in fields if f.code_table_id]
    labels: dict[int, dict[str, str]] = {}
    for item in CodeItem.objects.filter(table_id__in=tables):
        labels.setdefault(item.table_id, {})[item.code] = item.label
    return {f.attribute: labels.get(f.code_table_id, {}) for f in fields if f.code_table_id}


def display_value(value: Any, codes: dict[str, str] | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if codes is not None:
        return codes.get(str(value), str(value))
    return str(value)


def field_rows(
    record_type: str,
    names: tuple[str, ...],
    values: dict[str, Any],
    viewer: visibility.Viewer,
    sources: dict[str, Change] | None = None,
    *,
    masked: bool = False,
) -> list[dict[str, Any]]:
    """Label, displayed value, sensitivity and (when the value is clear) the Change that set it, for each dictionary
    field the viewer may know of. ``masked``: the values are masked already (a masked instance's); otherwise they
    are raw (a record as of a date) and masked here."""
    fields = [f for f in dictionary_fields(record_type, names) if not viewer.hidden(f.name)]
    codes = code_labels(fields)
    rows = []
    for f in fields:
        clear = viewer.clear(f.name)
        value = values.get(f.attribute)
        shown = value if masked or clear else viewer.shown(f.name, value)
        rows.append(
            {
                "name": f.attribute,
                "label": f.label,
                "sensitivity": f.sensitivity,
                "value": display_value(shown, codes.get(f.attribute) if clear else None),
                "masked": not clear and value not in (None, ""),
                "revealable": not clear and value not in (None, "") and viewer.may_reveal(f.name),
                # where a value came from (the batch's ledger name, the source) says something about it too
                "source": (sources or {}).get(f.attribute) if clear else None,
            }
        )
    return rows


def history_rows(record_type: str, record_id: int, viewer: visibility.Viewer) -> list[dict[str, Any]]:
    """A record's changes, newest first, with field labels, displayed values (masked by each field's level; the
    changes of a hidden field left out) and the import batch if any."""
    changes = list(queries.history(record_type, record_id)[:200])
    fields = {f.attribute: f for f in Field.objects.filter(name__startswith=f"{record_type}.")}
    codes = code_labels(list(fields.values()))
    batches = queries.import_batches(changes)
    rows = []
    for c in changes:
        name = f"{record_type}.{c.field}"
        if viewer.hidden(name):
            continue
        clear = viewer.clear(name)
        rows.append(
            {
                "change": c,
                "label": fields[c.field].label if c.field in fields else c.field,
                "old": display_value(viewer.shown(name, c.old_value), codes.get(c.field) if clear else None),
                "new": display_value(viewer.shown(name, c.new_value), codes.get(c.field) if clear else None),
                "batch": batches.get(c.source_ref) if c.source_kind == SourceKind.IMPORT and clear else None,
                "masked": not clear,
            }
        )
    return rows


def split_tags(rows: Any) -> tuple[list[Any], list[Any]]:
    """(held, ended) tag rows."""
    today = queries.clock.now().date()
    held, ended = [], []
    for row in rows:
        (held if row.until is None or row.until > today else ended).append(row)
    return held, ended


def with_roles(rows: list[Any]) -> list[Any]:
    """Residences with ``role_label``, the residence-role code table's label for their role."""
    labels = {i.code: i.label for i in CodeItem.objects.filter(table__code="residence_role")}
    for row in rows:
        row.role_label = labels.get(row.role, row.role)
    return rows
