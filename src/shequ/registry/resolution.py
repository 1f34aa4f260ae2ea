"""Identity resolution, finding the pairs: which records may be the same person.

* ``refresh_keys`` keeps the blocking-key table (``BlockingKey``) in step with the people: a person whose
  ``updated_at`` differs from its ``BlockingStamp`` gets its keys recomputed.
* ``resolve_identities`` compares every pair of current people that share a blocking key (one SQL self-join on the
  key table, never n²), merges pairs scored ``same`` automatically (``merging``) and queues ``review`` pairs as
  MatchCandidates. A pair that has a MatchCandidate in any status (pending, merged, distinct) is never proposed again.
* ``proposals_for`` scores records arriving by import against the base through the same keys.

Pairs where both records have an ID number are never compared: numbers are unique in the base, so they are two people.
"""

from __future__ import annotations

import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction

from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition

from . import actions, bulk_writes, matching
from .merging import MergeItem, default_choices, fold_records, keep_order, last_change, load_value, merge
from .models import BlockingKey, BlockingStamp, MatchCandidate, MatchStatus, Person, SourceKind
from .validators import check_consistent_with_id

# A key shared by more people than this (an office phone, a very common name born the same year) is too broad to
# say anything: its members are not compared through it (they usually share a narrower key too).
MAX_BLOCK = 60
CHUNK = 5000
Progress = Callable[[str, int, int], None]


# --- blocking keys -------------------------------------------------------------------------------------------


def keys_for(*, name: str, birth_date: date | None, phone: str | None) -> set[str]:
    # No "id:" key: ID numbers are unique in the base, so they never block two records together.
    return matching.blocking_keys(name=name, birth_date=birth_date, phone=phone)


def _insert_keys(rows: list[tuple[int, str]]) -> None:
    table = BlockingKey._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} (person_id, key) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} (person_id, key) VALUES (%s, %s)", rows)


def refresh_keys(*, progress: Progress | None = None) -> int:
    """Recompute the blocking keys of every current person whose keys are missing or stale. Returns how many.

    Stale means the person's ``updated_at`` differs from its stamp, so any write through ``actions`` (which sets
    ``updated_at``) is picked up without the writers knowing about blocking. People are visited in windows of ids
    (an index range on both tables each time), so a refresh costs one pass over the people whatever the plan."""
    person, stamp = Person._meta.db_table, BlockingStamp._meta.db_table
    stale_sql = (
        f"SELECT p.id, p.name, p.birth_date, p.phone, s.person_id FROM {person} p "
        f"LEFT JOIN {stamp} s ON s.person_id = p.id "
        f"WHERE p.id > %s AND p.id <= %s AND p.merged_into_id IS NULL "
        f"AND (s.person_id IS NULL OR s.stamp <> p.updated_at)"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {person}")
        low, high = cursor.fetchone()
    if low is None:
        return 0
    done = 0
    with transaction.atomic():
        # Keying everyone for the first time: building the key index once at the end (one sort) is several times
        # cheaper than keeping it up to date through millions of inserts in random key order.
        rebuild = not BlockingStamp.objects.exists()
        if rebuild:
            _key_index(create=False)
        for start in range(low - 1, high, CHUNK):
            with connection.cursor() as cursor:
                cursor.execute(stale_sql, [start, start + CHUNK])
                rows = cursor.fetchall()
            if rows:
                _rekey(rows)
                done += len(rows)
            if progress:
                progress("keys", min(start + CHUNK, high) - low + 1, high - low + 1)
        if rebuild:
            _key_index(create=True)
    return done


def _key_index(*, create: bool) -> None:
    """Drop or create the key index (in SQL: the schema editor cannot run inside a transaction on SQLite)."""
    (index,) = BlockingKey._meta.indexes
    quote = connection.ops.quote_name
    name, table = quote(str(index.name)), quote(BlockingKey._meta.db_table)
    with connection.cursor() as cursor:
        if create:
            postgres = connection.vendor == "postgresql"
            if postgres:  # the inserts' deferred foreign-key checks must run before the table's index can change
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"CREATE INDEX {name} ON {table} ({quote('key')}, {quote('person_id')})")
            if postgres:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cursor.execute(f"DROP INDEX {name}")


def _rekey(rows: list[tuple[Any, ...]]) -> None:
    """Replace the keys and stamps of these people (id, name, birth date, phone, id if it had a stamp)."""
    person, stamp = Person._meta.db_table, BlockingStamp._meta.db_table
    had_keys = [r[0] for r in rows if r[4] is not None]
    if had_keys:
        BlockingKey.objects.filter(person_id__in=had_keys).delete()
        BlockingStamp.objects.filter(person_id__in=had_keys).delete()
    keys: list[tuple[int, str]] = []
    for pk, name, born, phone, _had in rows:
        born = load_value("birth_date", born) if isinstance(born, str) else born
        keys.extend((pk, key) for key in sorted(keys_for(name=name, birth_date=born, phone=phone)))
    _insert_keys(keys)
    # The stamp is copied in SQL, so it is byte for byte the value compared (no time zone round trip).
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {stamp} (person_id, stamp) SELECT id, updated_at FROM {person} "
            f"WHERE id IN ({', '.join(['%s'] * len(rows))})",
            [r[0] for r in rows],
        )


# --- the resolution run ------------------------------------------------------------------------------------


@dataclass
class ResolutionReport:
    keyed: int = 0  # people whose blocking keys were (re)computed
    compared: int = 0  # candidate pairs scored
    merged: int = 0  # merged automatically (score >= MERGE_THRESHOLD)
    queued: int = 0  # put in the review queue (between the thresholds)
    seconds: float = 0.0


Row = tuple[int, str, date | None, str, str, str, str | None]  # id, name, birth, gender, phone, address, ID index
# The ID number's blind index, not the number: a stored record's number never decides a pair here (pairs where both
# have one are skipped, numbers being unique, and incoming records compared with the base have none), so only
# whether it has one matters, and a resolution run decrypts nothing.
_ROW_FIELDS = ("pk", "name", "birth_date", "gender", "phone", "hukou_address", "id_index")


def as_candidate(row: Row) -> matching.Candidate:
    _pk, name, born, gender, phone, address, _has_number = row
    return matching.Candidate(name=name, birth_date=born, gender=gender, phone=phone, address=address)


def reasons_of(match: matching.Match) -> list[dict[str, Any]]:
    return [{"feature": c.feature, "code": c.code, "points": c.points} for c in match.contributions]


def _pairs(people: list[int] | None) -> array:
    """Pairs (lower id, higher id) of current people sharing a blocking key, flattened into one int array."""
    table = BlockingKey._meta.db_table
    blocks = f"SELECT key FROM {table} GROUP BY key HAVING COUNT(*) BETWEEN 2 AND {MAX_BLOCK}"
    sql = (
        f"SELECT DISTINCT a.person_id, b.person_id FROM {table} a "
        f"JOIN {table} b ON b.key = a.key AND b.person_id > a.person_id "
        f"WHERE a.key IN ({blocks})"
    )
    found = array("q")
    batches: list[list[int] | None] = (
        [None] if people is None else [people[i : i + 500] for i in range(0, len(people), 500)]
    )
    seen: set[tuple[int, int]] = set()
    wanted = set(people or [])
    for batch in batches:
        params: list[Any] = []
        query = sql
        if batch is not None:
            marks = ", ".join(["%s"] * len(batch))
            query += f" AND a.key IN (SELECT key FROM {table} WHERE person_id IN ({marks}))"
            params = list(batch)
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            while rows := cursor.fetchmany(20000):
                for a, b in rows:
                    if batch is not None:
                        if (a, b) in seen or not (a in wanted or b in wanted):
                            continue
                        seen.add((a, b))
                    found.append(a)
                    found.append(b)
    return found


def _load_rows(ids: Iterable[int]) -> dict[int, Row]:
    return {
        row[0]: row for row in Person.objects.current().filter(pk__in=list(ids)).values_list(*_ROW_FIELDS).order_by()
    }


def resolve_identities(
    *,
    by: User | None = None,
    people: Iterable[Person | int] | None = None,
    source: actions.Source | None = None,
    progress: Progress | None = None,
) -> ResolutionReport:
    """Compare current people sharing a blocking key; merge ``same`` pairs, queue ``review`` pairs.

    ``people`` limits the run to pairs with at least one of them (all current people when None). Pairs already
    known in any status are skipped, so a pair marked distinct is never proposed again and a run can be repeated."""
    started = time.monotonic()
    source = source or actions.Source(SourceKind.RESOLUTION, f"resolve_identities@{clock.now():%Y-%m-%dT%H:%M:%S}")
    report = ResolutionReport()
    report.keyed = refresh_keys(progress=progress)
    ids = None if people is None else sorted({p.pk if isinstance(p, Person) else int(p) for p in people})
    flat = _pairs(ids)
    total = len(flat) // 2
    known = set(MatchCandidate.objects.values_list("first_id", "second_id").order_by().iterator(chunk_size=20000))
    same: list[tuple[int, int, matching.Match]] = []
    queue: list[MatchCandidate] = []
    now = clock.now()
    for start in range(0, total, CHUNK):
        chunk = [(flat[2 * i], flat[2 * i + 1]) for i in range(start, min(start + CHUNK, total))]
        chunk = [pair for pair in chunk if pair not in known]
        rows = _load_rows({x for pair in chunk for x in pair})
        for a, b in chunk:
            ra, rb = rows.get(a), rows.get(b)
            if ra is None or rb is None or (ra[6] and rb[6]):
                continue  # merged away since keyed, or two ID numbers (unique, so two people)
            left, right = as_candidate(ra), as_candidate(rb)
            report.compared += 1
            if not matching.could_match(left, right):
                continue
            match = matching.score(left, right)
            if match.decision == matching.Decision.SAME:
                same.append((a, b, match))
            elif match.decision == matching.Decision.REVIEW:
                queue.append(_candidate(a, b, match, source=source, at=now))
        if progress:
            progress("pairs", min(start + CHUNK, total), total)
    for start in range(0, len(queue), CHUNK):
        MatchCandidate.objects.bulk_create(queue[start : start + CHUNK], ignore_conflicts=True)
    report.queued = len(queue)
    merged, queued = _merge_all(same, by=by, source=source, progress=progress)
    report.merged, report.queued = merged, report.queued + queued
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _candidate(
    a: int, b: int, match: matching.Match, *, source: actions.Source, at: Any, status: str = MatchStatus.PENDING
) -> MatchCandidate:
    first, second = min(a, b), max(a, b)
    return MatchCandidate(
        first_id=first,
        second_id=second,
        score=match.score,
        reasons=reasons_of(match),
        status=status,
        source_kind=source.kind,
        source_ref=source.ref,
        found_at=at,
    )


def _merge_all(
    same: list[tuple[int, int, matching.Match]],
    *,
    by: User | None,
    source: actions.Source,
    progress: Progress | None,
) -> tuple[int, int]:
    """Merge the ``same`` pairs. Returns (merged, queued).

    Pairs whose two people appear in no other ``same`` pair (nearly all) are merged in bulk batches; chains
    (A~B, B~C) one pair at a time, so that they end in one record."""
    degree: Counter[int] = Counter()
    for a, b, _match in same:
        degree[a] += 1
        degree[b] += 1
    simple = [pair for pair in same if degree[pair[0]] == 1 and degree[pair[1]] == 1]
    chained = [pair for pair in same if degree[pair[0]] > 1 or degree[pair[1]] > 1]
    merged = queued = done = 0
    for start in range(0, len(simple), 500):
        batch = simple[start : start + 500]
        with transaction.atomic():
            m, q = _merge_batch(batch, by=by, source=source)
        merged, queued, done = merged + m, queued + q, done + len(batch)
        if progress:
            progress("merges", done, len(same))
    root: dict[int, int] = {}

    def find(x: int) -> int:
        while x in root:
            x = root[x]
        return x

    # One transaction per batch (each merge in its own savepoint): a commit per merge would cost a disk flush each.
    for start in range(0, len(chained), 500):
        with transaction.atomic():
            for a, b, match in chained[start : start + 500]:
                m, q = _merge_one(a, b, match, find, root, by=by, source=source)
                merged, queued, done = merged + m, queued + q, done + 1
        if progress:
            progress("merges", done, len(same))
    return merged, queued


def _merge_batch(
    batch: list[tuple[int, int, matching.Match]], *, by: User | None, source: actions.Source
) -> tuple[int, int]:
    """Merge pairs of distinct people in bulk with the default choices; pairs whose values do not combine (a birth
    date against the ID number) go to the review queue instead. Returns (merged, queued)."""
    ids = {x for a, b, _m in batch for x in (a, b)}
    people = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=ids, merged_into__isnull=True)}
    now = clock.now()
    items: list[tuple[MergeItem, dict[str, Any]]] = []
    review: list[MatchCandidate] = []
    for a, b, match in batch:
        if a not in people or b not in people:
            continue
        keep, fold = keep_order(people[a], people[b])
        candidate = _candidate(a, b, match, source=source, at=now)
        item = MergeItem(keep, fold, default_choices(keep, fold), candidate)
        values = item.values()
        number = values.get("id_number") or keep.id_number
        if number:
            combined = {**{n: getattr(keep, n) for n in Person.TRACKED}, **values}
            try:
                check_consistent_with_id(number, birth_date=combined["birth_date"], gender=combined["gender"] or "")
            except InvalidInput:
                review.append(candidate)
                continue
        items.append((item, values))
    MatchCandidate.objects.bulk_create([item.candidate for item, _v in items if item.candidate], batch_size=500)
    # Through the bulk write of ``actions``: one Change row per changed field. The ID number leaves first.
    first_change = last_change()
    leaving = [(item.fold, {"id_number": None}) for item, v in items if "id_number" in v]
    bulk_writes.bulk_save_people(new=[], changed=leaving, by=by, source=source)
    bulk_writes.bulk_save_people(new=[], changed=[(item.keep, v) for item, v in items if v], by=by, source=source)
    fold_records([item for item, _v in items], by=by, source=source, automatic=True, first_change=first_change)
    MatchCandidate.objects.bulk_create(review, batch_size=500, ignore_conflicts=True)
    return len(items), len(review)


def _merge_one(
    a: int,
    b: int,
    match: matching.Match,
    find: Callable[[int], int],
    root: dict[int, int],
    *,
    by: User | None,
    source: actions.Source,
) -> tuple[int, int]:
    """Merge one ``same`` pair (or the records its people were folded into). Returns (merged, queued)."""
    ra, rb = find(a), find(b)
    if ra == rb:
        return 0, 0
    if (ra, rb) != (a, b):
        # One side was folded into a third record in this run: the records to merge are not the ones scored.
        rows = _load_rows([ra, rb])
        if len(rows) < 2 or (rows[ra][6] and rows[rb][6]):
            return 0, 0
        match = matching.score(as_candidate(rows[ra]), as_candidate(rows[rb]))
        if match.decision != matching.Decision.SAME:
            if match.decision == matching.Decision.DIFFERENT:
                return 0, 0
            MatchCandidate.objects.bulk_create(
                [_candidate(ra, rb, match, source=source, at=clock.now())], ignore_conflicts=True
            )
            return 0, 1
    people = {p.pk: p for p in Person.objects.filter(pk__in=[ra, rb])}
    kept, folded = keep_order(people[ra], people[rb])
    try:
        with transaction.atomic():
            candidate = _candidate(ra, rb, match, source=source, at=clock.now())
            candidate.save()
            merge(kept, folded, by=by, candidate=candidate, automatic=True, source=source)
    except (InvalidInput, InvalidTransition):
        # The values do not combine (say, a birth date against the ID number): a person decides.
        MatchCandidate.objects.bulk_create(
            [_candidate(ra, rb, match, source=source, at=clock.now())], ignore_conflicts=True
        )
        return 0, 1
    root[folded.pk] = kept.pk
    return 1, 0


# --- matching incoming records (imports) -----------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    person_id: int
    match: matching.Match


def proposals_for(incoming: list[matching.Candidate]) -> list[list[Proposal]]:
    """For each incoming record without an ID number, the current people it scores ``same`` or ``review`` with,
    best first. The key table must be fresh (``refresh_keys``); one query per call, whatever the number of records.
    """
    keys = [keys_for(name=c.name, birth_date=c.birth_date, phone=c.phone) for c in incoming]
    wanted = sorted(set().union(*keys)) if keys else []
    holders: dict[str, list[int]] = {}
    for start in range(0, len(wanted), 2000):
        for key, person_id in BlockingKey.objects.filter(key__in=wanted[start : start + 2000]).values_list(
            "key", "person_id"
        ):
            holders.setdefault(key, []).append(person_id)
    rows = _load_rows({pid for members in holders.values() if len(members) <= MAX_BLOCK for pid in members})
    result: list[list[Proposal]] = []
    for candidate, own in zip(incoming, keys, strict=True):
        ids = {pid for key in own for pid in holders.get(key, []) if len(holders[key]) <= MAX_BLOCK}
        found = []
        for pid in ids:
            row = rows.get(pid)
            if row is None:
                continue
            match = matching.score(candidate, as_candidate(row))
            if match.decision != matching.Decision.DIFFERENT:
                found.append(Proposal(pid, match))
        found.sort(key=lambda p: (-p.match.score, p.person_id))
        result.append(found)
    return result
