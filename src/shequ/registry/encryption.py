"""Key rotation of what is encrypted at rest (``manage.py rotate_keys``, docs/encryption.md).

Encrypted at rest: every ``EncryptedTextField`` column of any app (today ``Person.id_number`` and
``ImportRejection.value``), the values of the Change rows of those fields (``models.sealed_field``), the ID numbers
in merges' value snapshots, and the kept ledger uploads (``importing.uploads``). ``rotate``
re-encrypts every value not under the current cipher and key; with ``reindex`` it also recomputes the blind indexes
(``Person.id_index``) not under the current index key.

The site keeps running: rows are visited in id order, ``batch`` at a time, each batch its own short transaction;
every update is a compare-and-set on the token read (a row written meanwhile by the site is left alone: the site
wrote it under the current key anyway). Reads never wait for the rotation, since any loaded key decrypts and any
loaded index key is looked up. A run that stops part way is simply run again: values already under the current key
are not selected.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction

from shequ import audit
from shequ.audit.actions import Target
from shequ.core import crypto
from shequ.core.fields import EncryptedTextField

from .importing import uploads
from .models import SEALED_FIELDS, Change, Merge, Person
from .validators import normalize_id_number

Progress = Callable[[str, int, int], None]  # what, done, total


@dataclass
class RotationReport:
    reencrypted: dict[str, int] = field(default_factory=dict)  # store label -> values re-encrypted
    reindexed: int = 0
    seconds: float = 0.0


def encrypted_columns() -> list[tuple[type[models.Model], models.Field]]:
    """Every encrypting column of every installed model."""
    return [
        (model, f) for model in apps.get_models() for f in model._meta.local_fields if isinstance(f, EncryptedTextField)
    ]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _not_under(column: str, prefix: str) -> str:
    """SQL: ``column`` holds a value that does not start with ``prefix`` (one parameter, the prefix)."""
    return f"({_q(column)} IS NOT NULL AND {_q(column)} <> '' AND SUBSTR({_q(column)}, 1, {len(prefix)}) <> %s)"


def _windows(table: str, columns: list[str], where: str, params: list[Any], batch: int) -> Iterator[list[tuple]]:
    """Rows (id, *columns) matching ``where``, ``batch`` at a time in id order; each yielded inside a transaction."""
    last = 0
    select = ", ".join(_q(c) for c in ["id", *columns])
    sql = f"SELECT {select} FROM {_q(table)} WHERE {_q('id')} > %s AND {where} ORDER BY {_q('id')} LIMIT {batch}"
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last, *params])
            rows = cursor.fetchall()
        if not rows:
            return
        with transaction.atomic():
            yield rows
        last = rows[-1][0]


def _count(table: str, where: str, params: list[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {_q(table)} WHERE {where}", params)
        return int(cursor.fetchone()[0])


def _update(table: str, column: str, rows: list[tuple[int, str, str]]) -> None:
    """Set ``column`` to the new token where it still holds the old one: (id, old, new)."""
    sql = f"UPDATE {_q(table)} SET {_q(column)} = %s WHERE {_q('id')} = %s AND {_q(column)} = %s"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(new, pk, old) for pk, old, new in rows])


def _rotate_column(model: type[models.Model], f: models.Field, batch: int, progress: Progress | None) -> int:
    table, column = model._meta.db_table, f.column
    where, params = _not_under(column, crypto.current_prefix()), [crypto.current_prefix()]
    label = f"{model._meta.label_lower}.{f.name}"
    total, done = _count(table, where, params), 0
    for rows in _windows(table, [column], where, params, batch):
        _update(table, column, [(pk, token, crypto.reencrypt(token)) for pk, token in rows])
        done += len(rows)
        if progress:
            progress(label, done, total)
    return done


def _rotate_changes(batch: int, progress: Progress | None) -> int:
    """The Change rows of encrypted fields: both values, compare-and-set on the pair."""
    prefix = crypto.current_prefix()
    table = Change._meta.db_table
    done = 0
    for record_type, name in sorted(SEALED_FIELDS):
        where = (
            f"{_q('record_type')} = %s AND {_q('field')} = %s "
            f"AND ({_not_under('old_value', prefix)} OR {_not_under('new_value', prefix)})"
        )
        params = [record_type, name, prefix, prefix]
        total = _count(table, where, params)
        sql = (
            f"UPDATE {_q(table)} SET {_q('old_value')} = %s, {_q('new_value')} = %s WHERE {_q('id')} = %s "
            f"AND {_q('old_value')} IS NOT DISTINCT FROM %s AND {_q('new_value')} IS NOT DISTINCT FROM %s"
        )
        if connection.vendor == "sqlite":  # SQLite spells IS NOT DISTINCT FROM as IS
            sql = sql.replace("IS NOT DISTINCT FROM", "IS")
        for rows in _windows(table, ["old_value", "new_value"], where, params, batch):
            updates = [
                (crypto.reencrypt(old) if old else old, crypto.reencrypt(new) if new else new, pk, old, new)
                for pk, old, new in rows
            ]
            with connection.cursor() as cursor:
                cursor.executemany(sql, updates)
            done += len(rows)
            if progress:
                progress(f"registry.change.{record_type}.{name}", done, total)
    return done


def _snapshot_tokens(snapshots: dict[str, Any]) -> Iterator[str]:
    for values in snapshots.values():
        for name, value in values.items():
            if ("person", name) in SEALED_FIELDS and value:
                yield value


def _rotate_merges(batch: int, progress: Progress | None) -> int:
    """The ID numbers in merges' value snapshots (JSON: read and rewritten whole; these never change)."""
    from .models import _merge_columns  # the same walk over the snapshots the model uses

    def stale(before: dict, moved: dict) -> bool:
        tokens = [*_snapshot_tokens(before), *_snapshot_tokens(moved.get("after", {}))]
        return any(not crypto.is_current(t) for t in tokens)

    total = Merge.objects.count()
    done = seen = last = 0
    while True:
        rows = list(Merge.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "before", "moved")[:batch])
        if not rows:
            return done
        with transaction.atomic():
            for pk, before, moved in rows:
                if stale(before, moved):
                    holder = Merge(before=before, moved=moved)
                    new_before, new_moved = _merge_columns(holder, lambda t: crypto.reencrypt(t) if t else t)
                    Merge.objects.filter(pk=pk).update(before=new_before, moved=new_moved)
                    done += 1
        seen, last = seen + len(rows), rows[-1][0]
        if progress:
            progress("registry.merge", seen, total)


def _head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(len(crypto.FILE_MAGIC) + 40)


def _rotate_uploads(progress: Progress | None) -> int:
    """The kept ledger files (``importing.uploads``), one at a time (each rewritten whole, then renamed)."""
    files = uploads.kept_files()
    done = 0
    for n, path in enumerate(files, start=1):
        done += uploads.reencrypt_kept(path)
        if progress:
            progress("registry.upload", n, len(files))
    return done


def _reindex(batch: int, progress: Progress | None) -> int:
    """Recompute ``Person.id_index`` not under the current index key (compare-and-set on the number's token)."""
    prefix = crypto.index_prefix()
    table = Person._meta.db_table
    where = (
        f"{_q('id_number')} IS NOT NULL AND ({_q('id_index')} IS NULL "
        f"OR SUBSTR({_q('id_index')}, 1, {len(prefix)}) <> %s)"
    )
    total, done = _count(table, where, [prefix]), 0
    sql = f"UPDATE {_q(table)} SET {_q('id_index')} = %s WHERE {_q('id')} = %s AND {_q('id_number')} = %s"
    for rows in _windows(table, ["id_number"], where, [prefix], batch):
        updates = [(crypto.blind_index(normalize_id_number(crypto.decrypt(token))), pk, token) for pk, token in rows]
        with connection.cursor() as cursor:
            cursor.executemany(sql, updates)
        done += len(rows)
        if progress:
            progress("registry.person.id_index", done, total)
    return done


def pending(*, reindex: bool = False) -> dict[str, int]:
    """How many values are not under the current key yet (and indexes under the current index key, with
    ``reindex``), per store: all zero means the old keys are no longer needed."""
    prefix = crypto.current_prefix()
    counts = {
        f"{model._meta.label_lower}.{f.name}": _count(model._meta.db_table, _not_under(f.column, prefix), [prefix])
        for model, f in encrypted_columns()
    }
    counts["registry.change"] = sum(
        _count(
            Change._meta.db_table,
            f"{_q('record_type')} = %s AND {_q('field')} = %s "
            f"AND ({_not_under('old_value', prefix)} OR {_not_under('new_value', prefix)})",
            [record_type, name, prefix, prefix],
        )
        for record_type, name in SEALED_FIELDS
    )
    counts["registry.merge"] = sum(
        1
        for before, moved in Merge.objects.values_list("before", "moved").iterator(chunk_size=2000)
        if any(not crypto.is_current(t) for t in [*_snapshot_tokens(before), *_snapshot_tokens(moved.get("after", {}))])
    )
    counts["registry.upload"] = sum(1 for path in uploads.kept_files() if not crypto.bytes_are_current(_head(path)))
    if reindex:
        index = crypto.index_prefix()
        counts["registry.person.id_index"] = _count(
            Person._meta.db_table,
            f"{_q('id_number')} IS NOT NULL AND ({_q('id_index')} IS NULL "
            f"OR SUBSTR({_q('id_index')}, 1, {len(index)}) <> %s)",
            [index],
        )
    return counts


def rotate(*, batch: int = 1000, reindex: bool = False, progress: Progress | None = None) -> RotationReport:
    """Re-encrypt everything not under the current key (and re-index, with ``reindex``); one audit entry
    ("key.rotate") with what was done, also when the run stops part way."""
    started = time.monotonic()
    ring = crypto.keyring()
    report = RotationReport()
    outcome = "stopped"
    try:
        for model, f in encrypted_columns():
            report.reencrypted[f"{model._meta.label_lower}.{f.name}"] = _rotate_column(model, f, batch, progress)
        report.reencrypted["registry.change"] = _rotate_changes(batch, progress)
        report.reencrypted["registry.merge"] = _rotate_merges(batch, progress)
        report.reencrypted["registry.upload"] = _rotate_uploads(progress)
        if reindex:
            report.reindexed = _reindex(batch, progress)
        outcome = "done"
    finally:
        report.seconds = round(time.monotonic() - started, 3)
        audit.record(
            "key.rotate",
            actor=None,
            target=Target("core.crypto", ring.data_id),
            detail={
                "outcome": outcome,
                "cipher": ring.cipher,
                "key": ring.data_id,
                "index_key": ring.index_id if reindex else "",
                "reencrypted": report.reencrypted,
                "reindexed": report.reindexed,
                "batch": batch,
                "seconds": report.seconds,
            },
        )
    return report
