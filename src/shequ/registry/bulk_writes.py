"""Bulk writes to the community base, for imports and the demo: many records, the Change rows one-by-one writes keep.

An import validates a whole file first with preloaded code tables, so checking row by row through
``actions.create_person`` would cost several queries a row; these take validated values, write them in bulk and
hand their Change rows to the database's own bulk path (COPY on PostgreSQL). One audit entry per batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import connection, models, transaction

from shequ import audit
from shequ.access.models import User
from shequ.audit.actions import Target
from shequ.core import clock

from .actions import Source, dump, field_value
from .models import Change, Employment, Organization, Person, seal, sealed_field

# One Change row as inserted in bulk: record type, record id, field, old value, new value, source kind, source
# reference, actor id, at.
ChangeRow = tuple[str, int, str, str | None, str | None, str, str, int | None, datetime]
_CHANGE_COLUMNS = (
    "record_type",
    "record_id",
    "field",
    "old_value",
    "new_value",
    "source_kind",
    "source_ref",
    "actor_id",
    "at",
)


def insert_changes(rows: Iterable[ChangeRow]) -> int:
    """Insert Change rows in bulk: COPY on PostgreSQL, ``executemany`` elsewhere. Returns how many.

    Imports write several Change rows per record; building them as model instances costs several times the insert
    itself, so bulk writes hand plain tuples to the database's own bulk path. The values of an encrypted field
    (``models.sealed_field``) are encrypted here, as ``Change.objects.bulk_create`` does."""
    table = connection.ops.quote_name(Change._meta.db_table)
    columns = ", ".join(_CHANGE_COLUMNS)
    count = 0
    rows = ((*row[:3], seal(row[3]), seal(row[4]), *row[5:]) if sealed_field(row[0], row[2]) else row for row in rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_CHANGE_COLUMNS))})"
        adapt = connection.ops.adapt_datetimefield_value
        batch: list[tuple] = []
        for row in rows:
            batch.append((*row[:-1], adapt(row[-1])))
            if len(batch) == 5000:
                cursor.executemany(sql, batch)
                count, batch = count + len(batch), []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


@transaction.atomic
def bulk_save(
    model: type[Person] | type[Organization],
    *,
    new: list[Any],
    changed: list[tuple[Any, dict[str, Any]]],
    by: User | None,
    source: Source,
) -> int:
    """Create ``new`` records and apply ``changed`` values in bulk, with the same Change rows as one-by-one writes.

    For imports, which validate a whole file first with preloaded code tables (checking row by row through
    ``create_person`` would cost several queries a row). The caller guarantees the values are valid and that the
    records in ``changed`` were read inside the caller's transaction. Foreign keys come as ids. Returns the number of
    Change rows written.
    """
    record_type = model._meta.label_lower.split(".")[1]  # "person", "organization"
    now = clock.now()
    tail = (str(source.kind), source.ref, by.pk if by else None, now)
    for record in new:
        record.created_at = record.updated_at = now
        if isinstance(record, Person):
            record.fill_search_keys()
    created = model.objects.bulk_create(new, batch_size=1000)
    changes: list[ChangeRow] = [
        (record_type, record.pk, name, None, text, *tail)
        for record in created
        for name in model.TRACKED
        if (text := dump(field_value(record, name))) is not None
    ]
    touched: set[str] = set()
    for record, values in changed:
        for name, value in values.items():
            old = field_value(record, name)
            if dump(old) == dump(value):
                continue
            changes.append((record_type, record.pk, name, dump(old), dump(value), *tail))
            stored = value.pk if isinstance(value, models.Model) else value
            setattr(record, record._meta.get_field(name).attname, stored)  # type: ignore[union-attr]
            touched.add(name)
        record.updated_at = now
        if isinstance(record, Person):
            record.fill_search_keys()
    if changed and touched:
        keys = Person.SEARCH_KEYS if model is Person else ()
        fields = [*sorted(touched), *keys, "updated_at"]
        model.objects.bulk_update([r for r, _v in changed], fields, batch_size=500)
    written = insert_changes(changes)
    audit.record(
        "write",
        actor=by,
        target=Target(f"registry.{record_type}", ""),
        fields=sorted({row[2] for row in changes}),
        detail={"source": str(source.kind), "ref": source.ref, "created": len(created), "changed": len(changed)},
    )
    return written


def bulk_employ(pairs: Iterable[tuple[int, int]], *, since: date, by: User | None, source: Source) -> int:
    """Open employments ``(person id, organisation id)`` from ``since`` in bulk, for imports: the rows and Change rows
    ``employ`` writes, a pair that already has an open employment left as it is. Returns how many were opened. The
    caller holds the people locked (an import does), as ``employ`` locks its person."""
    wanted = list(dict.fromkeys(pairs))
    if not wanted:
        return 0
    held = set(
        Employment.objects.filter(end__isnull=True, person_id__in={p for p, _o in wanted}).values_list(
            "person_id", "organization_id"
        )
    )
    rows = [Employment(person_id=p, organization_id=o, start=since) for p, o in wanted if (p, o) not in held]
    created = Employment.objects.bulk_create(rows, batch_size=1000)
    tail = (str(source.kind), source.ref, by.pk if by else None, clock.now())
    insert_changes(
        ("employment", e.pk, name, None, dump(value), *tail)
        for e in created
        for name, value in (("person", e.person_id), ("organization", e.organization_id), ("start", e.start))
    )
    if created:
        audit.record(
            "write",
            actor=by,
            target=Target("registry.employment", ""),
            fields=["person", "organization", "start"],
            detail={"source": str(source.kind), "ref": source.ref, "created": len(created)},
        )
    return len(created)


def bulk_save_people(*, new: list[Person], changed: list[tuple[Person, dict[str, Any]]], **kwargs: Any) -> int:
    return bulk_save(Person, new=new, changed=changed, **kwargs)


def bulk_save_organizations(
    *, new: list[Organization], changed: list[tuple[Organization, dict[str, Any]]], **kwargs: Any
) -> int:
    return bulk_save(Organization, new=new, changed=changed, **kwargs)
