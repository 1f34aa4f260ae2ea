"""The closed loop of events: every write goes through one of these functions.

Each action checks who is asking, locks the event row, checks the loop allows
the change from the current status (``RULES``), writes the change and exactly
one timeline row, all in one transaction. Pages, the API, Open311, tasks and
commands all call these; none of them writes an event directly. ``report`` (a new event)
lives in ``reporting`` and the steps they share in ``writing``; both are re-exported here.

    report -> accept | reject
    accept -> dispatch (unit from the responsibility list; none: to the street desk)
    dispatched -> handle | return (re-dispatch) | escalate (community -> street -> district)
               | request_extension -> decide_extension
    handled -> verify (pass: closed; fail: back to the unit, counted as rework)
    closed -> rate (1-5); a low rating can reopen it
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from shequ.access.models import Unit, User
from shequ.core import clock, worktime
from shequ.core.errors import InvalidInput, InvalidTransition
from shequ.geo.models import Region, RegionLevel

from . import catalog
from .models import Category, Event, Level, Stage, Status, TimelineEntry
from .photos import attach, check_photos
from .reporting import MAX_DESCRIPTION, report
from .rules import SYSTEM_ACTIONS
from .writing import begin, check_leaf, log, require, save

__all__ = [
    "MAX_DESCRIPTION",
    "accept",
    "decide_extension",
    "dispatch",
    "escalate",
    "handle",
    "inspection_reopen",
    "mark_overdue",
    "merge",
    "rate",
    "recategorize",
    "record_repeat",
    "reject",
    "reopen",
    "report",
    "request_extension",
    "return_",
    "suggested_unit",
    "supervise",
    "verify",
]


# --- the desk ------------------------------------------------------------------------------


@transaction.atomic
def accept(
    event: Event, *, by: User, note: str = "", category: Category | None = None, level: Level | None = None
) -> Event:
    """立案: the desk takes the event on. It needs a specific category by now."""
    event = begin(event, "accept", by)
    category = check_leaf(category) or event.category
    if category is None:
        raise InvalidInput(
            _("Choose the event's category before accepting it."), code="category_required", field="category"
        )
    event.category = category
    event.level = level or event.level
    from_status, event.status = event.status, Status.ACCEPTED
    fields = ("status", "category", "level")
    return save(event, action="accept", by=by, from_status=from_status, fields=fields, note=note)


@transaction.atomic
def reject(event: Event, *, by: User, reason: str) -> Event:
    """不予立案, always with a reason the reporter will read."""
    reason = require(reason, _("Give the reason for rejecting."), field="reason")
    event = begin(event, "reject", by)
    from_status, event.status = event.status, Status.REJECTED
    event.closed_at = clock.now()
    return save(event, action="reject", by=by, from_status=from_status, fields=("status", "closed_at"), note=reason)


def suggested_unit(event: Event) -> Unit | None:
    """The unit the responsibility list names for this event, passing over units that returned it."""
    if event.category is None:
        return None
    returned: set[int] = set()
    if event.return_count:  # counted by return_() with each return row: none counted, none to pass over
        rows = TimelineEntry.objects.filter(event=event, action="return", unit__isnull=False)
        returned = set(rows.values_list("unit_id", flat=True))
    return catalog.route(event.category, area_code=event.area_code, desk=event.desk, exclude=returned)


@transaction.atomic
def dispatch(event: Event, *, by: User, unit: Unit | None = None, note: str = "") -> Event:
    """Send the event point to point to the unit the responsibility list names
    (or the one the dispatcher chose). With no duty for it, a community desk
    passes it to its street's desk; a street or district desk must choose."""
    event = begin(event, "dispatch", by)
    if event.category is None:
        raise InvalidInput(_("Choose the event's category first."), code="category_required", field="category")
    if unit is None:
        unit = suggested_unit(event)
    if unit is None:
        if event.desk.level != RegionLevel.COMMUNITY:
            raise InvalidInput(
                _("No unit is responsible for this category here: choose one."), code="unit_required", field="unit"
            )
        event.desk = event.street
        return save(
            event,
            action="to_street_desk",
            by=by,
            from_status=event.status,
            fields=("desk",),
            note=note or _("No duty matches; passed to the street's dispatch desk."),
        )
    if not unit.active:
        raise InvalidInput(_("Unit %(unit)s is not active.") % {"unit": unit}, field="unit")
    now = clock.now()
    from_status, event.status, event.unit = event.status, Status.DISPATCHED, unit
    event.dispatched_at = now
    event.deadline = catalog.time_limit_for(event.category, event.level).deadline_from(now)
    event.overdue = False
    fields = ("status", "unit", "dispatched_at", "deadline", "overdue")
    return save(event, action="dispatch", by=by, from_status=from_status, fields=fields, note=note, unit=unit)


@transaction.atomic
def decide_extension(event: Event, *, by: User, approve: bool, note: str = "") -> Event:
    """The desk approves (the deadline moves by the working hours asked) or refuses."""
    event = begin(event, "decide_extension", by)
    hours = event.extension_hours or 0
    if approve:
        # The hours asked, as asked: rounding would turn a 1.4-hour request into 1.
        event.deadline = worktime.add_working_hours(event.deadline or clock.now(), hours)
        # Only clear the flag: a deadline still past is left to the sweep, which flags it
        # for supervision with its own timeline row (setting it here would skip both).
        if event.deadline >= clock.now():
            event.overdue = False
    elif not note.strip():
        raise InvalidInput(_("Give the reason for refusing the extension."), field="note")
    event.extension_hours, event.extension_reason = None, ""
    action = "extension_approved" if approve else "extension_refused"
    return save(
        event,
        action=action,
        by=by,
        from_status=event.status,
        fields=("deadline", "overdue", "extension_hours", "extension_reason"),
        note=note or _("%(hours)s working hours granted.") % {"hours": hours},
    )


# --- the unit ------------------------------------------------------------------------------


@transaction.atomic
def return_(event: Event, *, by: User, reason: str) -> Event:
    """退回: the unit says it is not theirs; the desk dispatches again."""
    reason = require(reason, _("Give the reason for returning it."), field="reason")
    event = begin(event, "return", by)
    unit = event.unit
    from_status, event.status = event.status, Status.ACCEPTED
    event.unit, event.deadline, event.extension_hours, event.extension_reason = None, None, None, ""
    event.return_count += 1
    fields = ("status", "unit", "deadline", "extension_hours", "extension_reason", "return_count")
    return save(event, action="return", by=by, from_status=from_status, fields=fields, note=reason, unit=unit)


@transaction.atomic
def request_extension(event: Event, *, by: User, hours: float, reason: str) -> Event:
    """延期申请: the unit asks for more working hours; the desk decides."""
    reason = require(reason, _("Give the reason for the extension."), field="reason")
    if not 1 <= hours <= 24 * 30:
        raise InvalidInput(_("Ask for between 1 and 720 working hours."), field="hours")
    event = begin(event, "request_extension", by)
    event.extension_hours, event.extension_reason = float(hours), reason
    return save(
        event,
        action="request_extension",
        by=by,
        from_status=event.status,
        fields=("extension_hours", "extension_reason"),
        note=_("%(hours)s working hours: %(reason)s") % {"hours": hours, "reason": reason},
    )


@transaction.atomic
def escalate(event: Event, *, by: User, reason: str) -> Event:
    """提级: community -> street -> district; the higher desk dispatches it again."""
    reason = require(reason, _("Give the reason for escalating."), field="reason")
    event = begin(event, "escalate", by)
    unit = event.unit
    from_status, event.status = event.status, Status.ACCEPTED
    # Without its polygon, like the desk begin() loaded: the event only points at it.
    parent_id = event.desk.parent_id
    higher = None if parent_id is None else Region.objects.defer("boundary").filter(pk=parent_id).first()
    if higher is None:  # the rule already refuses a district desk; a desk without a parent is bad data
        raise InvalidTransition(_("There is no higher desk to escalate to."), code="no_higher_desk")
    event.desk = higher
    event.unit, event.deadline, event.extension_hours, event.extension_reason = None, None, None, ""
    fields = ("status", "desk", "unit", "deadline", "extension_hours", "extension_reason")
    return save(event, action="escalate", by=by, from_status=from_status, fields=fields, note=reason, unit=unit)


@transaction.atomic
def handle(event: Event, *, by: User, result: str, photos: Sequence[UploadedFile] = ()) -> Event:
    """办结: the unit records what it did; someone else verifies it on site."""
    result = require(result, _("Describe what was done."), field="result")
    checked = check_photos(photos)
    event = begin(event, "handle", by)
    from_status, event.status = event.status, Status.HANDLED
    event.result, event.handled_by, event.handled_at = result, by, clock.now()
    event.extension_hours, event.extension_reason = None, ""
    attach(event, checked, stage=Stage.HANDLE, by=by)
    fields = ("status", "result", "handled_by", "handled_at", "extension_hours", "extension_reason")
    return save(event, action="handle", by=by, from_status=from_status, fields=fields, note=result, unit=event.unit)


# --- verification, rating, supervision --------------------------------------------------------


@transaction.atomic
def verify(event: Event, *, by: User, passed: bool, note: str = "", photos: Sequence[UploadedFile] = ()) -> Event:
    """核查 on site by someone other than the handler: passes -> closed; fails -> back
    to the same unit with a fresh deadline, counted as rework."""
    if not passed:
        note = require(note, _("Say what is still wrong."), field="note")
    checked = check_photos(photos)
    event = begin(event, "verify", by)
    from_status = event.status
    now = clock.now()
    fields: tuple[str, ...]
    if passed:
        event.status, event.closed_at = Status.CLOSED, now
        action, fields = "verify_pass", ("status", "closed_at")
    else:
        event.status, event.rework_count = Status.DISPATCHED, event.rework_count + 1
        event.deadline = catalog.time_limit_for(event.category, event.level).deadline_from(now)
        event.overdue = False
        action, fields = "verify_fail", ("status", "rework_count", "deadline", "overdue")
    attach(event, checked, stage=Stage.VERIFY, by=by)
    return save(event, action=action, by=by, from_status=from_status, fields=fields, note=note, unit=event.unit)


@transaction.atomic
def rate(event: Event, *, by: User, score: int, comment: str = "", reopen_if_low: bool = False) -> Event:
    """评价 1-5 by the reporter, once. A low score with ``reopen_if_low`` reopens it."""
    if score not in range(1, 6):
        raise InvalidInput(_("A rating is a whole number from 1 to 5."), code="bad_rating", field="score")
    event = begin(event, "rate", by)
    event.rating, event.rating_comment = score, comment.strip()[:500]
    event = save(
        event,
        action="rate",
        by=by,
        from_status=event.status,
        fields=("rating", "rating_comment"),
        note=f"{score}★ {event.rating_comment}".strip(),
    )
    if reopen_if_low and score <= settings.SHEQU_REOPEN_MAX_SCORE:
        # A blank comment must not make the reopen (and so the rating) fail.
        event = reopen(event, by=by, reason=comment.strip() or _("The reporter is not satisfied."))
    return event


@transaction.atomic
def reopen(event: Event, *, by: User, reason: str) -> Event:
    """A low rating sends the event back to its unit, counted as rework.

    The rating is cleared (it stays in the timeline): the reporter rates the new
    result once it closes again, and the old low score cannot reopen it twice.
    """
    reason = require(reason, _("Give the reason for reopening."), field="reason")
    return _reopen(begin(event, "reopen", by), action="reopen", by=by, reason=reason)


def _reopen(event: Event, *, action: str, by: User, reason: str) -> Event:
    now = clock.now()
    from_status, event.status = event.status, Status.DISPATCHED
    event.rework_count += 1
    event.closed_at = None
    event.rating, event.rating_comment = None, ""
    event.deadline = catalog.time_limit_for(event.category, event.level).deadline_from(now)
    event.overdue = False
    fields = ("status", "rework_count", "closed_at", "rating", "rating_comment", "deadline", "overdue")
    return save(event, action=action, by=by, from_status=from_status, fields=fields, note=reason, unit=event.unit)


@transaction.atomic
def supervise(event: Event, *, by: User, note: str) -> Event:
    """督办: a superior flags the event; it shows on every to-do list until closed."""
    note = require(note, _("Say what you expect."), field="note")
    event = begin(event, "supervise", by)
    event.supervised = True
    return save(event, action="supervise", by=by, from_status=event.status, fields=("supervised",), note=note)


def record_repeat(event: Event, *, note: str) -> Event | None:
    """The same alarm again (a device, while its event is open): one timeline row ``repeat`` on the locked event,
    no change of status. Returns None when the event is no longer open (the caller makes a new one)."""
    with transaction.atomic():
        locked = Event.objects.select_for_update(of=("self",)).get(pk=event.pk)
        if locked.status not in SYSTEM_ACTIONS["record_repeat"]:
            return None
        locked.updated_at = clock.now()
        locked.save(update_fields=["updated_at"])
        log(locked, action="repeat", by=None, from_status=locked.status, note=note)
        return locked


def mark_overdue(*, now: datetime | None = None) -> int:
    """The periodic sweep: events past their deadline become overdue and supervised.

    Idempotent: each event is marked once, with one timeline row, however often it runs.
    """
    now = now or clock.now()
    marked = 0
    candidates = Event.objects.filter(status=Status.DISPATCHED, overdue=False, deadline__lt=now)
    for pk in candidates.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            event = (
                Event.objects.select_for_update()
                .filter(pk=pk, status=Status.DISPATCHED, overdue=False, deadline__lt=now)
                .first()
            )
            if event is None:
                continue
            event.overdue = event.supervised = True
            event.updated_at = now
            event.save(update_fields=["overdue", "supervised", "updated_at"])
            log(
                event,
                action="overdue",
                by=None,
                from_status=event.status,
                unit=event.unit,
                note=_("Past the deadline; flagged for supervision."),
            )
            marked += 1
    return marked


# --- intake: duplicates and corrected categories ----------------------------------------------------


@transaction.atomic
def merge(event: Event, *, into: Event, by: User, note: str = "") -> Event:
    """合并: a duplicate joins the original being handled. The duplicate is rejected with a
    pointer to the original, keeping its reporter, who reads the outcome in its timeline;
    the original's timeline records the merge too."""
    if into.pk == event.pk:
        raise InvalidInput(_("An event cannot be merged into itself."), code="merge_self", field="into")
    event = begin(event, "merge", by)
    original = Event.objects.select_for_update(of=("self",)).get(pk=into.pk)
    if not original.is_open:
        raise InvalidTransition(_("The original is no longer open; merge into an open event."), code="merge_closed")
    if original.merged_into_id is not None:
        raise InvalidTransition(
            _("The original was itself merged; merge into the event it joined."), code="merge_chain"
        )
    from_status, event.status = event.status, Status.REJECTED
    event.merged_into, event.closed_at = original, clock.now()
    told = _("Merged into %(code)s, which reports the same problem and is being handled; follow it there.") % {
        "code": original.code
    }
    fields = ("status", "merged_into", "closed_at")
    save(event, action="merge", by=by, from_status=from_status, fields=fields, note=f"{told} {note}".strip())
    original.updated_at = event.updated_at
    original.save(update_fields=["updated_at"])
    log(
        original,
        action="merged_in",
        by=by,
        from_status=original.status,
        note=_("%(code)s (the same problem) was merged into this event.") % {"code": event.code},
    )
    return event


@transaction.atomic
def recategorize(event: Event, *, by: User, category: Category, note: str = "") -> Event:
    """改类: the desk corrects the category of an accepted event (a labelled example for intake)."""
    check_leaf(category)
    event = begin(event, "recategorize", by)
    old = event.category
    event.category = category
    return save(
        event,
        action="recategorize",
        by=by,
        from_status=event.status,
        fields=("category",),
        note=(_("Category %(old)s -> %(new)s. %(note)s") % {"old": old, "new": category, "note": note}).strip(),
    )


# --- assessment: a spot check (督查核查) found a closed event not solved ------------------------------------


@transaction.atomic
def inspection_reopen(event: Event, *, by: User, reason: str) -> Event:
    """督查核查 failed on site: the closed event goes back to its unit as rework, with a fresh deadline, like a
    reopen after a low rating. Only a supervisor over the event's area (``rules._can_inspect``) does this."""
    reason = require(reason, _("Say what the spot check found."), field="reason")
    return _reopen(begin(event, "inspection_reopen", by), action="inspection_reopen", by=by, reason=reason)
