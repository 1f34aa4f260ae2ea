"""Bulk writes of demo records with the history the registry's actions keep.

People and organisations go through the registry's bulk path (``bulk_writes.bulk_save_people``/
``_organizations``). There is no bulk path for households, residences, employments and tags (one by one through
``actions`` takes minutes), so the demo inserts those in bulk with the Change rows the actions would write (one per
non-empty logged field, from nothing, values as ``actions.dump`` renders them) through ``bulk_writes.insert_changes``,
all with the demo's source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from django.db import models

from shequ.core import clock
from shequ.registry import bulk_writes
from shequ.registry.actions import Source, dump
from shequ.registry.models import SourceKind

# The source of every value the demo writes (as an import batch named "demo").
DEMO_SOURCE = Source(SourceKind.IMPORT, "demo")

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")

# The fields each action logs when it creates a record (see registry.actions: move_in, employ, create_household, tag).
LOGGED = {
    "household": ("number", "head"),
    "residence": ("person", "dwelling", "household", "role", "start"),
    "employment": ("person", "organization", "position", "start"),
    "person_tag": ("person", "tag", "since"),
    "organization_tag": ("organization", "tag", "since"),
}


def _rows(records: Sequence[models.Model], record_type: str, fields: Sequence[str]) -> Iterator[tuple]:
    for record in records:
        for name in fields:
            value = dump(getattr(record, getattr(record._meta.get_field(name), "attname", name)))
            if value is not None:
                yield record_type, record.pk, name, value


def insert_changes(rows: Iterable[tuple[str, int, str, str]]) -> int:
    """Insert Change rows ``(record type, record id, field, new value)`` from nothing, with the demo's source."""
    tail = (str(DEMO_SOURCE.kind), DEMO_SOURCE.ref, None, clock.now())
    return bulk_writes.insert_changes(
        (record_type, pk, name, None, value, *tail) for record_type, pk, name, value in rows
    )


def create_with_history(
    model: type[M], record_type: str, records: list[M], *, fields: Sequence[str] | None = None
) -> list[M]:
    """Insert ``records`` and one Change row per non-empty logged field; returns them with their keys."""
    created = model.objects.bulk_create(records, batch_size=2000)  # type: ignore[attr-defined]
    logged = fields if fields is not None else LOGGED.get(record_type) or model.TRACKED  # type: ignore[attr-defined]
    insert_changes(_rows(created, record_type, logged))
    return created


def log_ends(records: Sequence[models.Model], record_type: str, field: str) -> None:
    """The Change rows of closing records (``move_out``, ``untag``): the end date from nothing."""
    insert_changes(_rows(records, record_type, (field,)))
