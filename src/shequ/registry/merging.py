"""Identity resolution: one Person per real person.

* ``merge`` folds one record into another with a field-level choice of values, moves what hangs on the merged record
  (open residences, open employments, open tags, household heads) and keeps everything needed to undo it;
  ``unmerge`` undoes it, or says why it cannot. Both write through ``actions`` (a Change row per changed field,
  with its source).
* ``refresh_keys`` keeps the blocking-key table (``BlockingKey``) in step with the people: a person whose
  ``updated_at`` differs from its ``BlockingStamp`` gets its keys recomputed.
* ``resolve_identities`` compares every pair of current people that share a blocking key (one SQL self-join on the
  key table, never n²), merges pairs scored ``same`` automatically and queues ``review`` pairs as MatchCandidates.
  A pair that has a MatchCandidate in any status (pending, merged, distinct) is never proposed again.

ID numbers are unique in the base, so two records never share one: an "exact ID-number match" happens when a record
arrives (an import row, a form) and finds the record holding its number, which it then updates. Resolution therefore
only ever compares pairs where at most one side has an ID number.
"""

from __future__ import annotations

import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition

from . import actions, matching, queries
from .models import (
    BlockingKey,
    BlockingStamp,
    Change,
    Employment,
    Household,
    MatchCandidate,
    MatchStatus,
    Merge,
    Person,
    PersonTag,
    Residence,
    SourceKind,
)
from .validators import check_consistent_with_id

# A key shared by more people than this (an office phone, a very common name born the same year) is too broad to
# say anything: its members are not compared through it (they usually share a narrower key too).
MAX_BLOCK = 60
CHUNK = 5000
Progress = Callable[[str, int, int], None]

# --- values ----------------------------------------------------------------------------------------------


def _field(name: str) -> models.Field:
    field = Person._meta.get_field(name)
    assert isinstance(field, models.Field)  # tracked fields are concrete columns
    return field


def _load(name: str, text: str | None) -> Any:
    field = _field(name)
    if text is None:
        return None if field.null else ""
    return field.to_python(text)


def snapshot(person: Person) -> dict[str, str | None]:
    """The tracked values of a person as Change text (what ``Merge.before`` keeps)."""
    return {name: actions.dump(getattr(person, name)) for name in Person.TRACKED}


def differing_fields(a: Person, b: Person) -> list[str]:
    left, right = snapshot(a), snapshot(b)
    return [name for name in Person.TRACKED if left[name] != right[name]]


def default_choices(kept: Person, merged: Person) -> dict[str, str]:
    """Whose value each differing field keeps: the kept record's, unless it is empty and the merged one's is not.

    Birth date and gender follow the ID number, so the chosen values stay consistent with it."""
    left, right = snapshot(kept), snapshot(merged)
    choices = {
        name: "merged" if left[name] is None and right[name] is not None else "kept"
        for name in differing_fields(kept, merged)
    }
    if choices.get("id_number") == "merged":
        for name in ("birth_date", "gender"):
            if name in choices and right[name] is not None:
                choices[name] = "merged"
    return choices


def _completeness(person: Person) -> tuple[int, int, int]:
    values = snapshot(person)
    return (1 if person.id_number else 0, sum(v is not None for v in values.values()), -person.pk)


def keep_order(a: Person, b: Person) -> tuple[Person, Person]:
    """(kept, merged): the record with an ID number, else the fuller one, else the older one is kept."""
    return (a, b) if _completeness(a) >= _completeness(b) else (b, a)


# --- merge and unmerge ---------------------------------------------------------------------------------------


def _log(
    changes: list[Change],
    record_type: str,
    record_id: int,
    field: str,
    old: Any,
    new: Any,
    *,
    by: User | None,
    source: actions.Source,
) -> None:
    changes.append(
        Change(
            record_type=record_type,
            record_id=record_id,
            field=field,
            old_value=actions.dump(old),
            new_value=actions.dump(new),
            source_kind=source.kind,
            source_ref=source.ref,
            actor=by,
            at=clock.now(),
        )
    )


def _lock_pair(a: int, b: int) -> dict[int, Person]:
    # Always in id order, so two merges of overlapping pairs cannot deadlock.
    return {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[a, b]).order_by("pk")}


def _check_choices(choices: dict[str, str]) -> None:
    for name, side in choices.items():
        if name not in Person.TRACKED or side not in ("kept", "merged"):
            raise InvalidInput(
                _("Unknown choice %(choice)s for the merge.") % {"choice": f"{name}={side}"}, code="merge_choice"
            )


def _open_today() -> Q:
    return Q(end__isnull=True) | Q(end__gt=clock.now().date())


@dataclass(frozen=True)
class Spell:
    """Residences and employments alike: a person at a place (``place``: a dwelling, an organisation) from ``start``
    to ``end``, at most one open per person and place. A merge moves the merged record's open ones to the kept
    record, keeping in ``Merge.moved`` under ``<kind>s``, ``<kind>_ends`` and ``<kind>s_closed`` what undoes it."""

    model: type[Residence] | type[Employment]
    kind: str
    place: str
    moved_changed: Any  # the unmerge blockers
    closed_changed: Any


SPELLS = (
    Spell(
        Residence,
        "residence",
        "dwelling_id",
        gettext_lazy("A residence moved by the merge has since changed (moved out or reassigned)."),
        gettext_lazy("A residence ended by the merge has since changed."),
    ),
    Spell(
        Employment,
        "employment",
        "organization_id",
        gettext_lazy("An employment moved by the merge has since changed (ended or reassigned)."),
        gettext_lazy("An employment ended by the merge has since changed."),
    ),
)


def _move_spells(
    spell: Spell,
    into: dict[int, int],
    moved: dict[int, dict[str, Any]],
    changes: list[Change],
    today: date,
    *,
    by: User | None,
    source: actions.Source,
) -> None:
    kept = set(
        spell.model.objects.filter(person_id__in=into.values(), end__isnull=True).values_list("person_id", spell.place)
    )
    rows: list[Any] = list(
        spell.model.objects.select_for_update().filter(_open_today(), person_id__in=into).order_by("pk")
    )
    for row in rows:
        fold, keep = row.person_id, into[row.person_id]
        if row.end is None and (keep, getattr(row, spell.place)) in kept:
            # The kept record already holds this place: one open per place, so this one ends today.
            end = max(today, row.start)
            _log(changes, spell.kind, row.pk, "end", None, end, by=by, source=source)
            row.end = end
            moved[fold][f"{spell.kind}s_closed"].append([row.pk, end.isoformat()])
        else:
            _log(changes, spell.kind, row.pk, "person", fold, keep, by=by, source=source)
            row.person_id = keep
            moved[fold][f"{spell.kind}s"].append(row.pk)
            # An open one may have an end still to come: kept, so a later end shows as a change.
            moved[fold][f"{spell.kind}_ends"][str(row.pk)] = actions.dump(row.end)
    spell.model.objects.bulk_update(rows, ["person", "end"], batch_size=500)


@transaction.atomic
def merge(
    kept: Person,
    merged: Person,
    *,
    choices: dict[str, str] | None = None,
    by: User | None,
    candidate: MatchCandidate | None = None,
    automatic: bool = False,
    source: actions.Source | None = None,
) -> Merge:
    """Fold ``merged`` into ``kept``: chosen values go to ``kept``, open residences, open employments, open tags and
    household-head references move to it, and ``merged`` points at it. Everything is logged; ``Merge`` keeps what
    undoing needs.

    ``choices`` maps tracked fields to "kept" or "merged" (missing fields: ``default_choices``)."""
    source = source or actions.MANUAL
    if kept.pk == merged.pk:
        raise InvalidInput(_("A record cannot be merged with itself."), code="merge_self")
    locked = _lock_pair(kept.pk, merged.pk)
    keep, fold = locked[kept.pk], locked[merged.pk]
    for person in (keep, fold):
        if person.merged_into_id is not None:
            raise InvalidTransition(
                _("%(name)s (record %(id)s) has already been merged into another record.")
                % {"name": person.name, "id": person.pk},
                code="already_merged",
            )
    if keep.id_number and fold.id_number:
        raise InvalidTransition(
            _("Both records have an ID number, and they differ: these are two people."), code="merge_two_ids"
        )
    if candidate is not None:
        candidate = MatchCandidate.objects.select_for_update().get(pk=candidate.pk)
        if {candidate.first_id, candidate.second_id} != {keep.pk, fold.pk}:
            raise InvalidInput(_("The match candidate is about other records."), code="merge_candidate_mismatch")
        if candidate.status != MatchStatus.PENDING:
            raise InvalidTransition(_("This pair has already been decided."), code="candidate_decided")
    chosen = {**default_choices(keep, fold), **(choices or {})}
    _check_choices(chosen)
    item = _Item(keep, fold, chosen, candidate)
    # The ID number is unique: it leaves the merged record before it reaches the kept one. One record at a time
    # through the validating actions, so an impossible combination (a birth date against the ID) is refused.
    values = item.values()
    first_change = _last_change()
    if "id_number" in values:
        actions.update_person(fold, by=by, source=source, id_number=None)
    if values:
        actions.update_person(keep, by=by, source=source, **values)
    (record,) = _fold([item], by=by, source=source, automatic=automatic, first_change=first_change)
    for person in (kept, merged):
        person.refresh_from_db()
    return record


@dataclass
class _Item:
    """One merge to carry out: both records (locked, values as before the merge), the choices, the candidate."""

    keep: Person
    fold: Person
    choices: dict[str, str]
    candidate: MatchCandidate | None = None

    def __post_init__(self) -> None:
        self.before = {"kept": snapshot(self.keep), "merged": snapshot(self.fold)}

    def values(self) -> dict[str, Any]:
        """The merged record's values that the kept record takes."""
        kept, merged = self.before["kept"], self.before["merged"]
        return {
            name: _load(name, merged[name])
            for name, side in self.choices.items()
            if side == "merged" and merged[name] != kept[name]
        }


def _last_change() -> int:
    return Change.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _fold(
    items: list[_Item], *, by: User | None, source: actions.Source, automatic: bool, first_change: int
) -> list[Merge]:
    """Everything of a merge after the values: move open residences, open employments, open tags and household heads
    from each merged record to its kept one, point it there, log it all, write the Merge rows. Bulk, so that a
    resolution run merges thousands of pairs in a few queries per batch; ``merge`` calls it with one item."""
    changes: list[Change] = []
    today, now = clock.now().date(), clock.now()
    into = {item.fold.pk: item.keep.pk for item in items}
    moved: dict[int, dict[str, Any]] = {
        fold: {
            "residences": [],
            "residence_ends": {},
            "residences_closed": [],
            "employments": [],
            "employment_ends": {},
            "employments_closed": [],
            "tags": [],
            "tags_closed": [],
            "heads": [],
        }
        for fold in into
    }
    for spell in SPELLS:
        _move_spells(spell, into, moved, changes, today, by=by, source=source)
    kept_tags = set(
        PersonTag.objects.filter(person_id__in=into.values(), until__isnull=True).values_list("person_id", "tag_id")
    )
    taggings = list(PersonTag.objects.select_for_update().filter(person_id__in=into, until__isnull=True).order_by("pk"))
    for tagging in taggings:
        fold, keep = tagging.person_id, into[tagging.person_id]
        if (keep, tagging.tag_id) in kept_tags:
            until = max(today, tagging.since)
            _log(changes, "person_tag", tagging.pk, "until", None, until, by=by, source=source)
            tagging.until = until
            moved[fold]["tags_closed"].append([tagging.pk, until.isoformat()])
        else:
            _log(changes, "person_tag", tagging.pk, "person", fold, keep, by=by, source=source)
            tagging.person_id = keep
            moved[fold]["tags"].append(tagging.pk)
    PersonTag.objects.bulk_update(taggings, ["person", "until"], batch_size=500)
    households = list(Household.objects.select_for_update().filter(head_id__in=into).order_by("pk"))
    for household in households:
        fold = int(household.head_id or 0)  # filtered on head_id above: never empty
        _log(changes, "household", household.pk, "head", fold, into[fold], by=by, source=source)
        household.head_id = into[fold]
        moved[fold]["heads"].append(household.pk)
    Household.objects.bulk_update(households, ["head"], batch_size=500)
    for item in items:
        # Merges are history on both records; on the kept one the old value names the record it absorbed.
        _log(changes, "person", item.fold.pk, "merged_into", None, item.keep.pk, by=by, source=source)
        _log(changes, "person", item.keep.pk, "merged_into", item.fold.pk, None, by=by, source=source)
        item.fold.merged_into_id = item.keep.pk
        item.fold.updated_at = item.keep.updated_at = now
    Change.objects.bulk_create(changes, batch_size=2000)
    Person.objects.bulk_update([i.fold for i in items], ["merged_into", "updated_at"], batch_size=500)
    Person.objects.filter(pk__in=into.values()).update(updated_at=now)
    # Merged records leave the key table; the kept ones' keys are stale (new stamp) and get recomputed.
    BlockingKey.objects.filter(person_id__in=into).delete()
    BlockingStamp.objects.filter(person_id__in=into).delete()
    decided = [item.candidate for item in items if item.candidate is not None]
    for candidate in decided:
        candidate.status, candidate.decided_at, candidate.decided_by = MatchStatus.MERGED, now, by
    MatchCandidate.objects.bulk_update(decided, ["status", "decided_at", "decided_by"], batch_size=500)
    records = [
        Merge(
            kept=item.keep,
            merged=item.fold,
            candidate=item.candidate,
            choices=item.choices,
            before=item.before,
            moved={
                **moved[item.fold.pk],
                "first_change": first_change,
                "after": {"kept": snapshot(item.keep), "merged": snapshot(item.fold)},
            },
            automatic=automatic,
            by=by,
            at=now,
        )
        for item in items
    ]
    return Merge.objects.bulk_create(records, batch_size=500)


def _label(name: str) -> str:
    return str(_field(name).verbose_name)


def unmerge_blockers(record: Merge) -> list[str]:
    """Why undoing ``record`` would not restore both records as they were (empty: it is safe). In Chinese."""
    if record.undone_at is not None:
        return [_("This merge has already been undone.")]
    blockers: list[str] = []
    kept, merged = record.kept, record.merged
    kept.refresh_from_db()
    merged.refresh_from_db()
    if kept.merged_into_id is not None:
        blockers.append(
            _("The kept record has since been merged into record %(id)s; undo that merge first.")
            % {"id": kept.merged_into_id}
        )
    later = Merge.objects.filter(kept=kept, undone_at__isnull=True, pk__gt=record.pk).order_by("pk")
    for other in later:
        blockers.append(
            _("Record %(id)s (%(name)s) was merged into the kept record later; undo that merge first.")
            % {"id": other.merged_id, "name": other.merged.name}
        )
    if merged.merged_into_id != kept.pk:
        blockers.append(_("The merged record no longer points at the kept record."))
    after = record.moved.get("after", {})
    for side, person, title in ((("kept", kept, _("kept record"))), ("merged", merged, _("merged record"))):
        now = snapshot(person)
        edited = [_label(n) for n in Person.TRACKED if now[n] != after.get(side, {}).get(n)]
        if edited:
            blockers.append(
                _("The %(record)s was edited after the merge (%(fields)s).")
                % {"record": title, "fields": "、".join(edited)}
            )
    for spell in SPELLS:
        # Merges recorded before employments existed have no employment keys: nothing of theirs to check.
        ends = record.moved.get(f"{spell.kind}_ends", {})
        moved = spell.model.objects.filter(pk__in=record.moved.get(f"{spell.kind}s", []))
        if any(r.person_id != kept.pk or actions.dump(r.end) != ends.get(str(r.pk)) for r in moved):
            blockers.append(str(spell.moved_changed))
        for pk, end in record.moved.get(f"{spell.kind}s_closed", []):
            if spell.model.objects.filter(pk=pk).exclude(end=date.fromisoformat(end)).exists():
                blockers.append(str(spell.closed_changed))
    moved_tags = PersonTag.objects.filter(pk__in=record.moved.get("tags", []))
    if moved_tags.exclude(person=kept).exists() or moved_tags.filter(until__isnull=False).exists():
        blockers.append(_("A tag moved by the merge has since changed (ended or reassigned)."))
    if Household.objects.filter(pk__in=record.moved.get("heads", [])).exclude(head=kept).exists():
        blockers.append(_("A household whose head the merge changed has a different head now."))
    return blockers


@transaction.atomic
def unmerge(record: Merge, *, by: User | None, source: actions.Source | None = None) -> Merge:
    """Undo a merge: both records get back their values, residences, employments, tags and household heads, with
    Change rows.

    Refused (nothing changes) if something happened since that undoing would silently revert: a later merge into
    the kept record, an edit of either record, a moved residence, employment or tag that changed."""
    source = source or actions.MANUAL
    record = Merge.objects.select_for_update().select_related("kept", "merged").get(pk=record.pk)
    _lock_pair(record.kept_id, record.merged_id)
    blockers = unmerge_blockers(record)
    if blockers:
        raise InvalidTransition(
            _("This merge cannot be undone: %(reasons)s") % {"reasons": "；".join(blockers)}, code="unmerge_unsafe"
        )
    kept, merged = record.kept, record.merged
    before = record.before
    # The merged record is a current record again before values move back (the ID number may return to it).
    Person.objects.filter(pk=merged.pk).update(merged_into=None)
    merged.refresh_from_db()
    kept_values = {n: _load(n, before["kept"][n]) for n in Person.TRACKED if snapshot(kept)[n] != before["kept"][n]}
    if kept_values:
        actions.update_person(kept, by=by, source=source, **kept_values)
    merged_values = {
        n: _load(n, before["merged"][n]) for n in Person.TRACKED if snapshot(merged)[n] != before["merged"][n]
    }
    if merged_values:
        actions.update_person(merged, by=by, source=source, **merged_values)
    changes: list[Change] = []
    for spell in SPELLS:
        back = record.moved.get(f"{spell.kind}s", [])
        for row in spell.model.objects.select_for_update().filter(pk__in=back):
            _log(changes, spell.kind, row.pk, "person", kept.pk, merged.pk, by=by, source=source)
        spell.model.objects.filter(pk__in=back).update(person=merged)
        closed = [pk for pk, _end in record.moved.get(f"{spell.kind}s_closed", [])]
        for row in spell.model.objects.select_for_update().filter(pk__in=closed):
            _log(changes, spell.kind, row.pk, "end", row.end, None, by=by, source=source)
        spell.model.objects.filter(pk__in=closed).update(end=None)
    for tagging in PersonTag.objects.select_for_update().filter(pk__in=record.moved.get("tags", [])):
        _log(changes, "person_tag", tagging.pk, "person", kept.pk, merged.pk, by=by, source=source)
    PersonTag.objects.filter(pk__in=record.moved.get("tags", [])).update(person=merged)
    closed = [pk for pk, _until in record.moved.get("tags_closed", [])]
    for tagging in PersonTag.objects.select_for_update().filter(pk__in=closed):
        _log(changes, "person_tag", tagging.pk, "until", tagging.until, None, by=by, source=source)
    PersonTag.objects.filter(pk__in=closed).update(until=None)
    for pk in record.moved.get("heads", []):
        _log(changes, "household", pk, "head", kept.pk, merged.pk, by=by, source=source)
    Household.objects.filter(pk__in=record.moved.get("heads", [])).update(head=merged)
    _log(changes, "person", merged.pk, "merged_into", kept.pk, None, by=by, source=source)
    _log(changes, "person", kept.pk, "merged_into", merged.pk, None, by=by, source=source)
    Change.objects.bulk_create(changes)
    now = clock.now()
    Person.objects.filter(pk__in=[kept.pk, merged.pk]).update(updated_at=now)
    record.undone_at, record.undone_by = now, by
    record.save(update_fields=["undone_at", "undone_by"])
    if record.candidate_id is not None:
        # Back in the queue: someone decided these were one person and someone else undid it; a person decides.
        MatchCandidate.objects.filter(pk=record.candidate_id).update(
            status=MatchStatus.PENDING, decided_at=None, decided_by=None
        )
    return record


@transaction.atomic
def mark_distinct(candidate: MatchCandidate, *, by: User | None) -> MatchCandidate:
    """ "Not the same person": the pair leaves the queue and is never proposed again."""
    locked = MatchCandidate.objects.select_for_update().get(pk=candidate.pk)
    if locked.status != MatchStatus.PENDING:
        raise InvalidTransition(_("This pair has already been decided."), code="candidate_decided")
    locked.status, locked.decided_at, locked.decided_by = MatchStatus.DISTINCT, clock.now(), by
    locked.save(update_fields=["status", "decided_at", "decided_by"])
    candidate.refresh_from_db()
    return locked


# --- scoped reads -------------------------------------------------------------------------------------------


def candidates_for(user: User) -> QuerySet[MatchCandidate]:
    """Pairs the user may look at: both people current and visible to the user (``queries.people_for``)."""
    visible = queries.people_for(user)
    return MatchCandidate.objects.filter(first__in=visible, second__in=visible)


def merges_for(user: User) -> QuerySet[Merge]:
    """Merges whose kept record the user may see (the merged record is hidden while merged, by design)."""
    return Merge.objects.filter(kept__in=queries.people_for(user))


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
        born = _load("birth_date", born) if isinstance(born, str) else born
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
    items: list[tuple[_Item, dict[str, Any]]] = []
    review: list[MatchCandidate] = []
    for a, b, match in batch:
        if a not in people or b not in people:
            continue
        keep, fold = keep_order(people[a], people[b])
        candidate = _candidate(a, b, match, source=source, at=now)
        item = _Item(keep, fold, default_choices(keep, fold), candidate)
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
    first_change = _last_change()
    leaving = [(item.fold, {"id_number": None}) for item, v in items if "id_number" in v]
    actions.bulk_save_people(new=[], changed=leaving, by=by, source=source)
    actions.bulk_save_people(new=[], changed=[(item.keep, v) for item, v in items if v], by=by, source=source)
    _fold([item for item, _v in items], by=by, source=source, automatic=True, first_change=first_change)
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
