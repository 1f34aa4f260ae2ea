"""Who may take which action on an event, and from which statuses to which.

``RULES`` is the loop's transition table; ``allowed_actions`` is what a page or the
API offers a user. ``writing.begin`` enforces both on the locked row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from shequ.access.models import Role, User
from shequ.access.scopes import acts_at_desk, covers
from shequ.geo.models import RegionLevel

from .models import Event, Status


def _at_desk(user: User, event: Event) -> bool:
    return acts_at_desk(user, event.desk)


def _in_unit(user: User, event: Event) -> bool:
    return user.role == Role.UNIT_HANDLER and user.unit_id is not None and user.unit_id == event.unit_id


def _verifier(user: User, event: Event) -> bool:
    # On-site verification is a grid worker's or community staff's job, never the handler's own.
    if user.pk == event.handled_by_id:
        return False
    return user.sees_everything or (
        user.role in (Role.GRID_WORKER, Role.COMMUNITY_STAFF) and covers(user, event.area_code)
    )


def _reporter(user: User, event: Event) -> bool:
    return event.reporter_id is not None and user.pk == event.reporter_id


def _superior(user: User, event: Event) -> bool:
    return user.sees_everything or (
        user.role in (Role.STREET_DISPATCHER, Role.DISTRICT_DISPATCHER) and covers(user, event.area_code)
    )


def _can_escalate(user: User, event: Event) -> bool:
    if event.desk.level == RegionLevel.DISTRICT:
        return False
    if event.status == Status.DISPATCHED:
        return _in_unit(user, event)
    return _at_desk(user, event)


def _can_request_extension(user: User, event: Event) -> bool:
    return _in_unit(user, event) and event.extension_hours is None


def _can_decide_extension(user: User, event: Event) -> bool:
    return event.extension_hours is not None and _at_desk(user, event)


def _can_rate(user: User, event: Event) -> bool:
    return _reporter(user, event) and event.rating is None


def _can_reopen(user: User, event: Event) -> bool:
    low = event.rating is not None and event.rating <= settings.SHEQU_REOPEN_MAX_SCORE
    return low and event.unit_id is not None and (_reporter(user, event) or _at_desk(user, event))


def _can_supervise(user: User, event: Event) -> bool:
    return not event.supervised and _superior(user, event)


@dataclass(frozen=True)
class Rule:
    label: str | Promise  # translated lazily, in the reader's language
    sources: tuple[str, ...]
    targets: tuple[str, ...]  # the statuses the action may lead to (same status: no change)
    allowed: Callable[[User, Event], bool]


RULES: dict[str, Rule] = {
    "accept": Rule(gettext_lazy("Accept"), (Status.REPORTED,), (Status.ACCEPTED,), _at_desk),
    "reject": Rule(gettext_lazy("Reject"), (Status.REPORTED,), (Status.REJECTED,), _at_desk),
    "dispatch": Rule(gettext_lazy("Dispatch"), (Status.ACCEPTED,), (Status.DISPATCHED, Status.ACCEPTED), _at_desk),
    "return": Rule(gettext_lazy("Return"), (Status.DISPATCHED,), (Status.ACCEPTED,), _in_unit),
    "escalate": Rule(gettext_lazy("Escalate"), (Status.ACCEPTED, Status.DISPATCHED), (Status.ACCEPTED,), _can_escalate),
    "request_extension": Rule(
        gettext_lazy("Request extension"), (Status.DISPATCHED,), (Status.DISPATCHED,), _can_request_extension
    ),
    "decide_extension": Rule(
        gettext_lazy("Decide extension"), (Status.DISPATCHED,), (Status.DISPATCHED,), _can_decide_extension
    ),
    "handle": Rule(gettext_lazy("Mark handled"), (Status.DISPATCHED,), (Status.HANDLED,), _in_unit),
    "verify": Rule(gettext_lazy("Verify"), (Status.HANDLED,), (Status.CLOSED, Status.DISPATCHED), _verifier),
    "rate": Rule(gettext_lazy("Rate"), (Status.CLOSED,), (Status.CLOSED,), _can_rate),
    "reopen": Rule(gettext_lazy("Reopen"), (Status.CLOSED,), (Status.DISPATCHED,), _can_reopen),
    "supervise": Rule(
        gettext_lazy("Supervise"),
        (Status.ACCEPTED, Status.DISPATCHED, Status.HANDLED),
        (Status.ACCEPTED, Status.DISPATCHED, Status.HANDLED),
        _can_supervise,
    ),
}

# intake: merging a duplicate into the original, and correcting the category after acceptance. Kept apart from
# RULES (the loop's table, which the state-machine and rollup tests walk): allowed_actions lists them only when asked
# (``intake=True``: the workbench's event page, the API's ``intake_actions``).
INTAKE_RULES: dict[str, Rule] = {
    "merge": Rule(
        gettext_lazy("Merge into original"), (Status.REPORTED, Status.ACCEPTED), (Status.REJECTED,), _at_desk
    ),
    "recategorize": Rule(
        gettext_lazy("Change category"),
        (Status.ACCEPTED, Status.DISPATCHED),
        (Status.ACCEPTED, Status.DISPATCHED),
        _at_desk,
    ),
}


# Assessment: a failed spot check of a closed event reopens it as rework (督查核查; assessment.inspections). Not
# offered on the event's page: the spot check's own page calls it, for the supervisors who drew the sample.
def _can_inspect(user: User, event: Event) -> bool:
    return event.unit_id is not None and _superior(user, event)


RULES["inspection_reopen"] = Rule(
    gettext_lazy("Reopen after a spot check"), (Status.CLOSED,), (Status.DISPATCHED,), _can_inspect
)


def allowed_actions(user: User, event: Event, *, intake: bool = False) -> list[str]:
    """The loop actions this user may take on this event now (what the detail page offers); with ``intake``, also
    merge and recategorize where INTAKE_RULES allow them (after the loop's, in that order)."""
    table = {**RULES, **INTAKE_RULES} if intake else RULES
    return [name for name, rule in table.items() if event.status in rule.sources and rule.allowed(user, event)]


def intake_actions(user: User, event: Event) -> list[str]:
    """Only the intake actions (merge, recategorize) this user may take on this event now."""
    return [a for a in allowed_actions(user, event, intake=True) if a in INTAKE_RULES]


# Actions the platform itself takes (by=None), never offered to a person: the statuses they apply in.
SYSTEM_ACTIONS: dict[str, tuple[str, ...]] = {
    # a device alarms again while its event is open (devices app): a count and a timeline row, no status change
    "record_repeat": (Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.HANDLED),
}
