"""What the workbench calls things: to-do sections and timeline actions, in the UI language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# The to-do sections of the home page, in the order a desk works through them.
TODO_SECTIONS = {
    "to_accept": _("To accept"),
    "to_dispatch": _("To dispatch"),
    "extensions": _("Extension requests"),
    "to_handle": _("To handle"),
    "to_verify": _("To verify"),
    "overdue": _("Overdue and supervised"),
}

# Timeline action codes written by events.actions, as a person reads them.
TIMELINE_ACTIONS = {
    "report": _("Reported"),
    "accept": _("Accepted"),
    "reject": _("Rejected"),
    "dispatch": _("Dispatched"),
    "to_street_desk": _("Passed to the street desk"),
    "return": _("Returned by the unit"),
    "escalate": _("Escalated"),
    "request_extension": _("Extension requested"),
    "extension_approved": _("Extension approved"),
    "extension_refused": _("Extension refused"),
    "handle": _("Handled"),
    "verify_pass": _("Verification passed"),
    "verify_fail": _("Verification failed"),
    "rate": _("Rated"),
    "reopen": _("Reopened"),
    "supervise": _("Supervised"),
    "overdue": _("Overdue"),
    "inspection_reopen": _("Reopened after a spot check"),
    "repeat": _("Repeated alarm"),  # devices: the same alarm again while the event is open
    "merge": _("Merged into another event"),  # intake: a duplicate joins the original
    "merged_in": _("A duplicate was merged in"),
    "recategorize": _("Category changed"),
}

# Actions that undo someone's work ask for confirmation first.
CONFIRM_ACTIONS = {
    "reject": _("Reject this event? The reporter will see the reason."),
    "return": _("Return this event to the dispatch desk?"),
    "merge": _("Merge this event into the original? It is closed as a duplicate and its reporter is told."),
}


def timeline_label(action: str) -> str:
    return str(TIMELINE_ACTIONS.get(action, action))


# The submit button of each action form.
ACTION_BUTTONS = {
    "accept": _("Accept"),
    "reject": _("Reject"),
    "dispatch": _("Dispatch"),
    "return": _("Return"),
    "escalate": _("Escalate"),
    "request_extension": _("Request extension"),
    "decide_extension": _("Decide extension"),
    "handle": _("Mark handled"),
    "verify": _("Record verification"),
    "supervise": _("Supervise"),
    "reopen": _("Reopen"),
    "rate": _("Rate"),
    "merge": _("Merge into this event"),
    "recategorize": _("Change category"),
}
