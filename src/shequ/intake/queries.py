"""Intake's reads for pages: the suggestion for an event already reported (the accept page), and the model versions
with their evaluation (the versions page)."""

from __future__ import annotations

from dataclasses import dataclass, field

from shequ.access.models import User
from shequ.core.errors import DomainError
from shequ.events.models import Category, Event

from .models import ModelVersion, TrainingRun
from .suggest import Suggestion, suggest


@dataclass
class EventSuggestion:
    """What the accept page shows: the suggestion, the ranked categories for the pickers, and the duplicates."""

    suggestion: Suggestion | None
    ranked: list[tuple[Category, float]] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)


def for_event(event: Event, *, user: User) -> EventSuggestion:
    """The suggestion for an event's own text and place, as ``user`` may see it; the event itself (and events
    already merged elsewhere) are not its duplicates."""
    try:
        found = suggest(
            text=event.description,
            user=user,
            address=event.address,
            lon=event.lon,
            lat=event.lat,
        )
    except DomainError:  # a text the suggestion refuses (too long): the page shows none
        return EventSuggestion(None)
    scored = [s for s in [found.category, *found.alternatives] if s]
    by_code = Category.objects.select_related("parent").in_bulk([s["code"] for s in scored], field_name="code")
    ranked = [(by_code[s["code"]], float(s["score"])) for s in scored if s["code"] in by_code]
    codes = [d["code"] for d in found.duplicates if d["code"] != event.code]
    open_ones = set(Event.objects.filter(code__in=codes, merged_into__isnull=True).values_list("code", flat=True))
    duplicates = [d for d in found.duplicates if d["code"] in open_ones]
    return EventSuggestion(found, ranked, duplicates)


def versions_with_runs(limit: int = 50) -> tuple[list[ModelVersion], list[TrainingRun]]:
    """The newest versions (their arrays left unread) and training runs, newest first."""
    versions = list(ModelVersion.objects.defer("arrays").order_by("-number")[:limit])
    runs = list(TrainingRun.objects.select_related("version").defer("version__arrays")[:10])
    return versions, runs


def accuracy_series(versions: list[ModelVersion]) -> list[dict]:
    """Top-1 and top-3 of each version, oldest first (the accuracy over time), as percentages for the bars."""
    return [
        {
            "number": v.number,
            "at": v.created_at,
            "top1": round(100 * v.top1, 1),
            "top3": round(100 * v.top3, 1),
            "active": v.active,
        }
        for v in sorted(versions, key=lambda v: v.number)
    ]
