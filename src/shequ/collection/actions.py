"""Every write of a collection task: make one, submit an item, cancel one.

Each function checks who may act, writes in one transaction, and leaves a ``TaskEntry`` on the task's timeline.
Values go into the base through ``registry.actions.update_person`` with source ``collection`` and the task id, so
each changed field is a ``Change`` row; every field asked is also a ``FieldConfirmation``, changed or not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from shequ.access.models import Role, User
from shequ.access.scopes import covers
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from shequ.geo.models import Region, RegionLevel
from shequ.registry.actions import Source, update_person
from shequ.registry.dictionary import FieldType
from shequ.registry.models import Change, Person, SourceKind
from shequ.registry.queries import people_for, people_in
from shequ.registry.validators import check_id_number, check_phone

from .models import (
    CollectionTask,
    EntryKind,
    FieldConfirmation,
    ItemStatus,
    TaskEntry,
    TaskItem,
    TaskStatus,
)
from .queries import Ask, collectible_fields, form_for, may_manage


class FormInvalid(InvalidInput):
    """Several fields are wrong at once: ``errors`` maps each field to its Chinese message."""

    code = "form_invalid"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Please correct the fields marked below."))
        self.errors = errors


def source_for(task: CollectionTask) -> Source:
    return Source(SourceKind.COLLECTION, str(task.pk))


def _entry(task: CollectionTask, kind: EntryKind, *, by: User, item: TaskItem | None = None, note: str = "") -> None:
    TaskEntry.objects.create(task=task, kind=kind, item=item, note=note[:200], by=by, at=clock.now())


# --- making and cancelling a task ------------------------------------------------------------------


@transaction.atomic
def create_task(
    *,
    grid: Region,
    assignee: User,
    by: User,
    title: str = "",
    due: date | None = None,
    fields: list[str] | None = None,
) -> CollectionTask:
    """Make a task for a grid in the creator's area, for a grid worker of that grid, listing everyone living there.

    Community staff, street and district dispatchers and administrators make tasks; a grid outside their area is
    ``NotFound`` like a missing one. ``fields`` are dictionary names (default: every collectible person field)."""
    if not may_manage(by):
        raise PermissionDenied(_("Only community, street or district staff can create collection tasks."))
    if grid.level != RegionLevel.GRID or not covers(by, grid.code):
        raise NotFound(_("There is no such grid in your area."))
    if assignee.role != Role.GRID_WORKER or assignee.region_id != grid.pk or not assignee.is_active:
        raise InvalidInput(
            _("%(worker)s is not a grid worker of %(grid)s.") % {"worker": assignee, "grid": grid.name},
            code="not_grid_worker",
            field="assignee",
        )
    known = [f.name for f in collectible_fields()]
    chosen = known if not fields else [name for name in known if name in set(fields)]
    unknown = sorted(set(fields or []) - set(known))
    if unknown:
        raise InvalidInput(
            _("These fields cannot be collected: %(names)s") % {"names": ", ".join(unknown)},
            code="unknown_field",
            field="fields",
        )
    if due is not None and due < clock.now().date():
        raise InvalidInput(_("The due date is already past."), code="due_past", field="due")
    people = list(people_in(grid).order_by("pk").values_list("pk", flat=True))
    if not people:
        raise InvalidInput(
            _("Nobody lives in %(grid)s according to the base: there is nothing to collect.") % {"grid": grid.name},
            code="grid_empty",
            field="grid",
        )
    now = clock.now()
    title = title.strip() or _("%(grid)s information check %(date)s") % {
        "grid": grid.name,
        "date": now.date().isoformat(),
    }
    task = CollectionTask.objects.create(
        grid=grid,
        assignee=assignee,
        created_by=by,
        title=title[:100],
        fields=chosen,
        due=due,
        created_at=now,
        updated_at=now,
    )
    TaskItem.objects.bulk_create([TaskItem(task=task, person_id=pk) for pk in people], batch_size=1000)
    _entry(task, EntryKind.CREATED, by=by, note=_("%(n)s people") % {"n": len(people)})
    return task


@transaction.atomic
def cancel_task(task: CollectionTask, *, by: User, reason: str = "") -> CollectionTask:
    """Stop an open task. Items already done keep their effect on the base; the pending ones are no longer asked."""
    if not may_manage(by) or not covers(by, task.grid.code):
        raise PermissionDenied(_("Only the community's staff can cancel this task."))
    locked = CollectionTask.objects.select_for_update().get(pk=task.pk)
    if locked.status != TaskStatus.OPEN:
        raise InvalidTransition(_("This task is no longer open."), code="task_closed")
    now = clock.now()
    locked.status, locked.closed_at, locked.updated_at = TaskStatus.CANCELLED, now, now
    locked.save(update_fields=["status", "closed_at", "updated_at"])
    _entry(locked, EntryKind.CANCELLED, by=by, note=reason.strip())
    task.refresh_from_db()
    return locked


# --- submitting an item ------------------------------------------------------------------------------


@dataclass
class Submitted:
    item: TaskItem
    asked: list[str]  # attribute names asked
    changes: list[Change] = field(default_factory=list)
    task_completed: bool = False


# The longest text answer to a field that is not a person's (an application's own fields).
TEXT_MAX = 500


def _parse(ask: Ask, raw: str) -> Any:
    """Form text -> a field value, or ``InvalidInput`` with a message about this one field."""
    text = (raw or "").strip()
    if text == "":
        return None if ask.field.type in (FieldType.DATE, FieldType.ID_NUMBER) else ""
    kind = ask.field.type
    if kind == FieldType.DATE:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(_("Enter a date such as 1980-05-01."), code="date_invalid", field=ask.name) from None
    if kind == FieldType.CODE:
        if text not in {code for code, _label in ask.choices}:
            raise InvalidInput(_("Choose one of the listed values."), code="invalid_code", field=ask.name)
        return text
    if kind == FieldType.ID_NUMBER:
        return check_id_number(text)
    if kind == FieldType.PHONE:
        return check_phone(text, field=ask.name)
    limit = getattr(Person._meta.get_field(ask.name), "max_length", None) if ask.field.record == "person" else TEXT_MAX
    if limit and len(text) > limit:
        raise InvalidInput(_("At most %(n)s characters.") % {"n": limit}, code="too_long", field=ask.name)
    return text


def parse_answers(asks: list[Ask], values: Mapping[str, str]) -> dict[str, Any]:
    """Form text of each asked field -> its value, checked field by field (``FormInvalid`` with every error)."""
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for ask in asks:
        try:
            # A field the page did not send keeps its value: never clear what the worker did not see.
            parsed[ask.name] = _parse(ask, values.get(ask.name, ask.value))
        except InvalidInput as e:
            errors[ask.name] = e.message
    if errors:
        raise FormInvalid(errors)
    return parsed


@transaction.atomic
def submit(
    item: TaskItem, *, by: User, values: Mapping[str, str] | None = None, all_correct: bool = False
) -> Submitted:
    """The grid worker's answer for one person: write what changed, confirm every field asked, mark the item done.

    ``all_correct`` (信息无误) confirms every asked field as it stands, in one tap. Otherwise ``values`` holds the form
    text of the asked fields; each is checked on its own first (all errors at once, per field), then together by
    ``registry.actions.update_person`` (an ID number that disagrees with the birth date, a taken ID number, ...).
    Any error changes nothing. Only the task's grid worker submits, only while the task is open."""
    # The task row first: two items of one task submitted at once must not both miss the completion.
    task = CollectionTask.objects.select_for_update().get(pk=item.task_id)
    locked = TaskItem.objects.select_for_update().select_related("person").get(pk=item.pk)
    locked.task = task
    if by.pk != task.assignee_id:
        raise PermissionDenied(_("Only the grid worker of this task can submit it."))
    if task.status != TaskStatus.OPEN:
        raise InvalidTransition(_("This task is no longer open."), code="task_closed")
    if locked.status != ItemStatus.PENDING:
        raise InvalidTransition(_("This person has already been done in this task."), code="item_done")
    if locked.person.merged_into_id is not None:
        raise InvalidTransition(
            _("This record was merged into another person's; it no longer needs collecting."), code="person_merged"
        )
    # Read through the base's access point: someone who moved out of the worker's grid is no longer theirs to ask.
    if not people_for(by).filter(pk=locked.person_id).exists():
        raise InvalidTransition(
            _("This person no longer lives in your area: ask the community to update where they live."),
            code="person_moved_away",
        )
    asks = form_for(locked)
    names = [a.name for a in asks]
    wanted = {} if all_correct else parse_answers(asks, values or {})
    try:
        changes = update_person(locked.person, by=by, source=source_for(task), **wanted)
    except InvalidInput as e:
        raise FormInvalid({e.field or "__all__": e.message}) from None
    now = clock.now()
    FieldConfirmation.objects.bulk_create(
        [
            FieldConfirmation(
                record_type="person", record_id=locked.person_id, field=n, confirmed_at=now, task=task, by=by
            )
            for n in names
        ]
    )
    changed = {c.field for c in changes}
    locked.status = ItemStatus.UPDATED if changed else ItemStatus.CONFIRMED
    locked.asked = [f"person.{n}" for n in names]
    locked.changed = len(changed)
    locked.done_at, locked.by = now, by
    locked.save(update_fields=["status", "asked", "changed", "done_at", "by"])
    kind = EntryKind.ITEM_UPDATED if changed else EntryKind.ITEM_CONFIRMED
    _entry(task, kind, by=by, item=locked, note=locked.person.name)
    completed = not task.items.filter(status=ItemStatus.PENDING).exists()
    task.updated_at = now
    if completed:
        task.status, task.closed_at = TaskStatus.COMPLETED, now
        _entry(task, EntryKind.COMPLETED, by=by)
    task.save(update_fields=["status", "closed_at", "updated_at"])
    item.refresh_from_db()
    return Submitted(item=locked, asked=names, changes=changes, task_completed=completed)
