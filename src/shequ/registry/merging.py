"""Identity resolution, the merge itself: one Person per real person.

``merge`` folds one record into another with a field-level choice of values, moves what hangs on the merged record
(open residences, open employments, open tags, household heads) and keeps everything needed to undo it; it writes
through ``actions`` (a Change row per changed field, with its source). Undoing a merge is ``unmerging.py``; the
review queue's decisions and the scoped reads of pairs and merges are ``reviewing.py``; finding the pairs to
merge (blocking keys, the resolution run, incoming records) is ``resolution.py``.

ID numbers are unique in the base, so two records never share one: an "exact ID-number match" happens when a record
arrives (an import row, a form) and finds the record holding its number, which it then updates. Resolution therefore
only ever compares pairs where at most one side has an ID number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition

from . import actions
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
)

# --- values ----------------------------------------------------------------------------------------------


def tracked_field(name: str) -> models.Field:
    field = Person._meta.get_field(name)
    assert isinstance(field, models.Field)  # tracked fields are concrete columns
    return field


def load_value(name: str, text: str | None) -> Any:
    field = tracked_field(name)
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


# --- the merge --------------------------------------------------------------------------------------------


def log_change(
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


def lock_pair(a: int, b: int) -> dict[int, Person]:
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
            log_change(changes, spell.kind, row.pk, "end", None, end, by=by, source=source)
            row.end = end
            moved[fold][f"{spell.kind}s_closed"].append([row.pk, end.isoformat()])
        else:
            log_change(changes, spell.kind, row.pk, "person", fold, keep, by=by, source=source)
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
    locked = lock_pair(kept.pk, merged.pk)
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
    item = MergeItem(keep, fold, chosen, candidate)
    # The ID number is unique: it leaves the merged record before it reaches the kept one. One record at a time
    # through the validating actions, so an impossible combination (a birth date against the ID) is refused.
    values = item.values()
    first_change = last_change()
    if "id_number" in values:
        actions.update_person(fold, by=by, source=source, id_number=None)
    if values:
        actions.update_person(keep, by=by, source=source, **values)
    (record,) = fold_records([item], by=by, source=source, automatic=automatic, first_change=first_change)
    for person in (kept, merged):
        person.refresh_from_db()
    return record


@dataclass
class MergeItem:
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
            name: load_value(name, merged[name])
            for name, side in self.choices.items()
            if side == "merged" and merged[name] != kept[name]
        }


def last_change() -> int:
    return Change.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def fold_records(
    items: list[MergeItem], *, by: User | None, source: actions.Source, automatic: bool, first_change: int
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
            log_change(changes, "person_tag", tagging.pk, "until", None, until, by=by, source=source)
            tagging.until = until
            moved[fold]["tags_closed"].append([tagging.pk, until.isoformat()])
        else:
            log_change(changes, "person_tag", tagging.pk, "person", fold, keep, by=by, source=source)
            tagging.person_id = keep
            moved[fold]["tags"].append(tagging.pk)
    PersonTag.objects.bulk_update(taggings, ["person", "until"], batch_size=500)
    households = list(Household.objects.select_for_update().filter(head_id__in=into).order_by("pk"))
    for household in households:
        fold = int(household.head_id or 0)  # filtered on head_id above: never empty
        log_change(changes, "household", household.pk, "head", fold, into[fold], by=by, source=source)
        household.head_id = into[fold]
        moved[fold]["heads"].append(household.pk)
    Household.objects.bulk_update(households, ["head"], batch_size=500)
    for item in items:
        # Merges are history on both records; on the kept one the old value names the record it absorbed.
        log_change(changes, "person", item.fold.pk, "merged_into", None, item.keep.pk, by=by, source=source)
        log_change(changes, "person", item.keep.pk, "merged_into", item.fold.pk, None, by=by, source=source)
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
