"""The wall board, live through the existing stream (``alerts/live.py``): a board page opens
``/alerts/stream/?board=1&board_after=<timeline id>``; each round, this source tells it which of the user's events
got a timeline row since (a ``board`` event), and the page reloads its figures. Other pages' streams are untouched
(without ``board=1`` the source returns nothing and reads nothing)."""

from __future__ import annotations

from django.db.models import Max

from shequ.alerts import live
from shequ.events.models import TimelineEntry
from shequ.events.queries import events_for

KEY = "assessment_board_after"


def latest() -> int:
    return TimelineEntry.objects.aggregate(last=Max("pk"))["last"] or 0


def board_events(feed: live.Feed) -> list[live.LiveEvent]:
    request = feed.request
    if request.GET.get("board") != "1":
        return []
    if KEY not in feed.extra:
        raw = request.GET.get("board_after", "")
        feed.extra[KEY] = int(raw) if raw.isdigit() else latest()
    after = feed.extra[KEY]
    rows = list(TimelineEntry.objects.filter(pk__gt=after).order_by("pk").values_list("pk", "event_id")[:500])
    if not rows:
        return []
    feed.extra[KEY] = rows[-1][0]
    codes = sorted(
        events_for(request.user).filter(pk__in={event for _pk, event in rows}).values_list("code", flat=True)  # type: ignore[arg-type]
    )
    return [live.LiveEvent("board", {"events": codes})] if codes else []


def register() -> None:
    if board_events not in live.STAFF_SOURCES:
        live.STAFF_SOURCES.append(board_events)
