"""How a resident sees an event: status in plain words, the loop as a progress bar,
and the public part of the timeline (who acted is "the community" or "the
handling unit", never a staff member's name; internal notes stay internal)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from shequ.events.models import Event, Status, TimelineEntry

# What the resident reads for each status (the staff labels say what the desk must do next).
STATUS_WORDS: dict[str, Promise] = {
    Status.REPORTED: pgettext_lazy("resident portal", "Reported, waiting to be accepted"),
    Status.ACCEPTED: pgettext_lazy("resident portal", "Accepted, being assigned"),
    Status.DISPATCHED: pgettext_lazy("resident portal", "Being handled"),
    Status.HANDLED: pgettext_lazy("resident portal", "Handled, being checked"),
    Status.CLOSED: pgettext_lazy("resident portal", "Done"),
    Status.REJECTED: pgettext_lazy("resident portal", "Not accepted"),
}

# The loop as residents know it: 上报 -> 受理 -> 处置 -> 核查 -> 办结.
STEPS: tuple[Promise, ...] = (
    pgettext_lazy("progress step", "Report"),
    pgettext_lazy("progress step", "Accept"),
    pgettext_lazy("progress step", "Handle"),
    pgettext_lazy("progress step", "Check"),
    pgettext_lazy("progress step", "Close"),
)

# How many steps are complete in each status; the next one is the current step.
_DONE_STEPS = {
    Status.REPORTED: 1,
    Status.ACCEPTED: 2,
    Status.DISPATCHED: 2,
    Status.HANDLED: 3,
    Status.CLOSED: 5,
    Status.REJECTED: 1,
}


@dataclass(frozen=True)
class Step:
    label: Promise
    state: str  # done | current | todo | stopped


def progress(event: Event) -> list[Step]:
    done = _DONE_STEPS.get(event.status, 0)
    steps = []
    for i, label in enumerate(STEPS):
        if i < done:
            state = "done"
        elif i == done:
            state = "stopped" if event.status == Status.REJECTED else "current"
        else:
            state = "todo"
        steps.append(Step(label, state))
    return steps


def status_words(status: str) -> Promise:
    return STATUS_WORDS.get(status, pgettext_lazy("resident portal", "Unknown"))


# --- the public timeline ------------------------------------------------------------------

COMMUNITY, UNIT, YOU, SUPERIOR = (
    pgettext_lazy("resident portal", "Community"),
    pgettext_lazy("resident portal", "Handling unit"),
    pgettext_lazy("resident portal", "You"),
    pgettext_lazy("resident portal", "Superior department"),
)

# action -> (who, what the resident reads, whether the note is for the resident's eyes).
# Actions not listed (overdue flags, refused extensions ...) are internal and not shown.
_PUBLIC: dict[str, tuple[Promise, Promise, bool]] = {
    "report": (YOU, pgettext_lazy("resident portal", "reported the problem"), False),
    "accept": (COMMUNITY, pgettext_lazy("resident portal", "accepted it"), False),
    "reject": (COMMUNITY, pgettext_lazy("resident portal", "did not accept it"), True),
    "dispatch": (COMMUNITY, pgettext_lazy("resident portal", "assigned it to the handling unit"), False),
    "to_street_desk": (COMMUNITY, pgettext_lazy("resident portal", "passed it to the street office"), False),
    "return": (UNIT, pgettext_lazy("resident portal", "sent it back for reassignment"), False),
    "escalate": (COMMUNITY, pgettext_lazy("resident portal", "asked a higher level to coordinate"), False),
    "extension_approved": (COMMUNITY, pgettext_lazy("resident portal", "allowed the handling unit more time"), False),
    "handle": (UNIT, pgettext_lazy("resident portal", "finished handling it"), True),
    "verify_pass": (COMMUNITY, pgettext_lazy("resident portal", "checked on site and closed it"), False),
    "verify_fail": (
        COMMUNITY,
        pgettext_lazy("resident portal", "checked on site and sent it back to be handled again"),
        False,
    ),
    "rate": (YOU, pgettext_lazy("resident portal", "rated the result"), True),
    "reopen": (YOU, pgettext_lazy("resident portal", "asked for it to be handled again"), True),
    "supervise": (SUPERIOR, pgettext_lazy("resident portal", "is supervising it"), False),
    # intake: a duplicate joins the original; the note names the report to follow
    "merge": (COMMUNITY, pgettext_lazy("resident portal", "merged it with a report of the same problem"), True),
    "inspection_reopen": (
        SUPERIOR,
        pgettext_lazy("resident portal", "checked the result again and had it handled again"),
        False,
    ),
}


@dataclass(frozen=True)
class PublicEntry:
    at: object
    who: Promise
    what: Promise
    note: str
    action: str


def public_timeline(event: Event, entries: Iterable[TimelineEntry]) -> list[PublicEntry]:
    shown = []
    for entry in entries:
        if entry.action not in _PUBLIC:
            continue
        who, what, note_public = _PUBLIC[entry.action]
        # A reopen can also come from the desk; then it is the community's doing, not "you".
        if entry.action == "reopen" and entry.actor_id != event.reporter_id:
            who = COMMUNITY
        shown.append(PublicEntry(entry.at, who, what, entry.note if note_public else "", entry.action))
    return shown
