"""The steps every state-changing action of ``actions`` and ``reporting`` shares.

``begin`` locks the event's row and checks the loop's table (``rules``) and the actor's permission against the locked
copy; ``save`` writes what changed and ``log`` the one timeline row (and the audit row), in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import Unit, User
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied

from . import hooks, memo
from .models import Category, Event, TimelineEntry
from .rules import INTAKE_RULES, RULES

# The regions begin() joins, without their polygons: no rule and no action reads a boundary, and a street's or a
# desk's is large.
_BEGIN_RELATED = ("desk", "unit", "street", "level", "category__parent")
_NO_POLYGONS = ("desk__boundary", "street__boundary")


def begin(event: Event, action: str, by: User) -> Event:
    """Lock the row, then check state and permission against the locked copy (the one the action then changes)."""
    rows = Event.objects.select_for_update(of=("self",)).select_related(*_BEGIN_RELATED).defer(*_NO_POLYGONS)
    locked = rows.get(pk=event.pk)
    rule = RULES[action] if action in RULES else INTAKE_RULES[action]
    if locked.status not in rule.sources:
        raise InvalidTransition(
            _("Cannot %(action)s an event that is %(status)s.")
            % {"action": rule.label, "status": locked.get_status_display()}
        )
    if not rule.allowed(by, locked):
        raise PermissionDenied(_("You may not %(action)s this event.") % {"action": rule.label})
    return locked


def log(
    event: Event, *, action: str, by: User | None, from_status: str, note: str = "", unit: Unit | None = None
) -> TimelineEntry:
    """The event's timeline row for this change, its listeners, and the audit row, in the caller's transaction."""
    entry = TimelineEntry.objects.create(
        event=event,
        action=action,
        actor=by,
        from_status=from_status,
        to_status=event.status,
        unit=unit,
        note=note,
        at=event.updated_at,
    )
    hooks.notify(entry)  # listeners of other apps (assessment's rollups), in this transaction
    # Last: the audit chain's head stays locked from here to the commit, and every write of the platform waits on it.
    audit.record("write", actor=by, target=event, detail={"action": action, "to": event.status})
    return entry


def save(
    event: Event,
    *,
    action: str,
    by: User | None,
    from_status: str,
    fields: Iterable[str],
    note: str = "",
    unit: Unit | None = None,
) -> Event:
    """Write the fields the action changed (and ``updated_at``), then its timeline row.

    Only those columns: the row is locked, so the others are as begin() read them, and an UPDATE of all forty
    columns cost more than the change.
    """
    event.updated_at = clock.now()
    event.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    log(event, action=action, by=by, from_status=from_status, note=note, unit=unit)
    return event


def require(text: str, message: str, *, field: str) -> str:
    """The stripped text, or InvalidInput on ``field`` when it is blank."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(message, field=field)
    return text


def check_leaf(category: Category | None) -> Category | None:
    """The category, if it is a specific one (events are never filed under a group)."""
    if category is not None and memo.is_group(category):
        raise InvalidInput(_("Choose a specific category, not a group."), code="category_not_leaf", field="category")
    return category
