"""Intake's writes: accepting an event against the suggestion (a different choice is a ``Correction``, a labelled
example for the next model version), and the category a machine gives a report that came without a usable one.

The events app never imports intake: the category for uncategorised reports reaches ``events.api`` through
``events.hooks.on_uncategorised`` (registered in ``IntakeConfig.ready``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput
from shequ.events import actions as event_actions
from shequ.events.models import Category, Event, Level

from .models import Correction
from .suggest import rank_categories


@dataclass(frozen=True)
class MachineCategory:
    category: Category
    score: float

    @property
    def note(self) -> str:
        """The timeline note that marks the category as the machine's, e.g. 机器建议类别 0504 (0.93)."""
        return _("Machine-suggested category %(code)s (%(score).2f)") % {
            "code": self.category.code,
            "score": self.score,
        }


def machine_category(text: str) -> MachineCategory | None:
    """The model's best leaf category for a report's text (None for an empty text or an empty catalogue)."""
    text = (text or "").strip()
    if not text:
        return None
    ranked = rank_categories(text[:5000], k=1)
    if not ranked:
        return None
    category, score = ranked[0]
    return MachineCategory(category, round(score, 2))


def record_correction(event: Event, *, suggested: str, chosen: Category, by: User) -> Correction | None:
    """Staff chose ``chosen`` where the model suggested ``suggested``: keep the labelled example (once per event and
    choice). The same choice as the suggestion, or no suggestion shown, is no correction."""
    if not suggested or suggested == chosen.code:
        return None
    if Correction.objects.filter(event=event, chosen=chosen.code).exists():
        return None
    correction = Correction.objects.create(
        event=event, text=event.description, suggested=suggested, chosen=chosen.code, by=by, at=clock.now()
    )
    audit.record(
        "write",
        actor=by,
        target=correction,
        detail={"action": "correction", "event": event.code, "suggested": suggested, "chosen": chosen.code},
    )
    return correction


def _suggested_code(code: str) -> str:
    code = (code or "").strip()
    if code and not Category.objects.filter(code=code).exists():
        raise InvalidInput(
            _("Unknown suggested category %(code)s.") % {"code": code}, code="unknown_category", field="suggested"
        )
    return code


@transaction.atomic
def accept_against_suggestion(
    event: Event,
    *,
    by: User,
    suggested: str,
    category: Category | None = None,
    level: Level | None = None,
    note: str = "",
) -> Event:
    """立案 at the accept page, which showed the model's suggestion ``suggested`` (a category code, "" if none):
    the event is accepted through ``events.actions.accept``, and a category other than the suggested one is a
    ``Correction``, in the same transaction."""
    suggested = _suggested_code(suggested)
    event = event_actions.accept(event, by=by, note=note, category=category, level=level)
    if event.category is not None:
        record_correction(event, suggested=suggested, chosen=event.category, by=by)
    return event


def categorise_for_events(text: str) -> tuple[Category, str] | None:
    """The ``events.hooks`` categoriser: the machine's category and the note that marks it as the machine's."""
    found = machine_category(text)
    return (found.category, found.note) if found else None
