"""Identity resolution, undoing a merge: both records back as they were, or the reasons it cannot be done.

``unmerge_blockers`` lists what happened since a merge that undoing it would silently revert (a later merge into the
kept record, an edit of either record, a moved residence, employment or tag that changed); ``unmerge`` refuses while
there are any, else restores values, residences, employments, tags and household heads from what ``Merge`` kept,
with Change rows. The merge itself is ``merging.py``.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidTransition

from . import actions
from .merging import SPELLS, load_value, lock_pair, log_change, snapshot, tracked_field
from .models import Change, Household, MatchCandidate, MatchStatus, Merge, Person, PersonTag


def _label(name: str) -> str:
    return str(tracked_field(name).verbose_name)


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
    lock_pair(record.kept_id, record.merged_id)
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
    kept_values = {
        n: load_value(n, before["kept"][n]) for n in Person.TRACKED if snapshot(kept)[n] != before["kept"][n]
    }
    if kept_values:
        actions.update_person(kept, by=by, source=source, **kept_values)
    merged_values = {
        n: load_value(n, before["merged"][n]) for n in Person.TRACKED if snapshot(merged)[n] != before["merged"][n]
    }
    if merged_values:
        actions.update_person(merged, by=by, source=source, **merged_values)
    changes: list[Change] = []
    for spell in SPELLS:
        back = record.moved.get(f"{spell.kind}s", [])
        for row in spell.model.objects.select_for_update().filter(pk__in=back):
            log_change(changes, spell.kind, row.pk, "person", kept.pk, merged.pk, by=by, source=source)
        spell.model.objects.filter(pk__in=back).update(person=merged)
        closed = [pk for pk, _end in record.moved.get(f"{spell.kind}s_closed", [])]
        for row in spell.model.objects.select_for_update().filter(pk__in=closed):
            log_change(changes, spell.kind, row.pk, "end", row.end, None, by=by, source=source)
        spell.model.objects.filter(pk__in=closed).update(end=None)
    for tagging in PersonTag.objects.select_for_update().filter(pk__in=record.moved.get("tags", [])):
        log_change(changes, "person_tag", tagging.pk, "person", kept.pk, merged.pk, by=by, source=source)
    PersonTag.objects.filter(pk__in=record.moved.get("tags", [])).update(person=merged)
    closed = [pk for pk, _until in record.moved.get("tags_closed", [])]
    for tagging in PersonTag.objects.select_for_update().filter(pk__in=closed):
        log_change(changes, "person_tag", tagging.pk, "until", tagging.until, None, by=by, source=source)
    PersonTag.objects.filter(pk__in=closed).update(until=None)
    for pk in record.moved.get("heads", []):
        log_change(changes, "household", pk, "head", kept.pk, merged.pk, by=by, source=source)
    Household.objects.filter(pk__in=record.moved.get("heads", [])).update(head=merged)
    log_change(changes, "person", merged.pk, "merged_into", kept.pk, None, by=by, source=source)
    log_change(changes, "person", kept.pk, "merged_into", merged.pk, None, by=by, source=source)
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
