"""Bulk writes of demo records with the history the registry's actions keep.

Organisations (2,000) go through the registry's bulk path, ``actions.bulk_save_organizations``. For people that path
spends most of its time preparing Change rows through the ORM (about 19 s of CPU for 46,000 people), and there is
no bulk path yet for households, residences and tags (one by one through ``actions`` takes minutes). So the demo
writes those records in bulk and their Change rows with COPY (PostgreSQL) or ``executemany`` (SQLite): exactly the
rows the actions write (one per non-empty field, from nothing, values as ``actions.dump`` renders them), all with
the demo's source. tests/demo/test_people.py holds ``save_people`` to the rows ``bulk_save_people`` writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TypeVar

from django.db import connection, models

from shequ.core import clock
from shequ.registry.actions import Source, dump
from shequ.registry.models import Change, Person, SourceKind

# The source of every value the demo writes (as an import batch named "demo").
DEMO_SOURCE = Source(SourceKind.IMPORT, "demo")

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")

# The fields each action logs when it creates a record (see registry.actions: move_in, create_household, tag).
LOGGED = {
    "household": ("number", "head"),
    "residence": ("person", "dwelling", "household", "role", "start"),
    "person_tag": ("person", "tag", "since"),
    "organization_tag": ("organization", "tag", "since"),
}


def _rows(records: Sequence[models.Model], record_type: str, fields: Sequence[str]) -> Iterator[tuple]:
    for record in records:
        for name in fields:
            value = dump(getattr(record, getattr(record._meta.get_field(name), "attname", name)))
            if value is not None:
                yield record_type, record.pk, name, value


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def insert_changes(rows: Iterable[tuple[str, int, str, str]]) -> int:
    """Insert Change rows ``(record type, record id, field, new value)`` from nothing, with the demo's source.

    PostgreSQL gets them through COPY, SQLite through one ``executemany`` per 5,000 rows: the ORM's per-value
    preparation costs several times the insert itself, and the demo writes over half a million of these.
    """
    columns = "record_type, record_id, field, old_value, new_value, source_kind, source_ref, at"
    table = connection.ops.quote_name(Change._meta.db_table)
    at = clock.now()
    source = (str(DEMO_SOURCE.kind), DEMO_SOURCE.ref)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for record_type, record_id, name, value in rows:
                    copy.write_row((record_type, record_id, name, None, value, *source, at))
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, NULL, %s, %s, %s, %s)"
        tail = (*source, connection.ops.adapt_datetimefield_value(at))
        for batch in batched(rows, 5000):
            cursor.executemany(sql, [(*row, *tail) for row in batch])
            count += len(batch)
    return count


def save_people(people: list[Person]) -> list[Person]:
    """Create people with the Change rows ``actions.bulk_save_people(new=people)`` writes (a test holds the two to
    the same rows), at a quarter of its cost: its ORM insert of the Change rows is most of a 50,000-people load."""
    now = clock.now()
    for person in people:
        person.created_at = person.updated_at = now
        person.fill_search_keys()
    created = Person.objects.bulk_create(people, batch_size=2000)
    insert_changes(_rows(created, "person", Person.TRACKED))
    return created


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
