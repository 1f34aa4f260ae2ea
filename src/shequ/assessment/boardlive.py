"""The wall board, live through the existing stream (``alerts/live.py``): a board page opens
``/alerts/stream/?board=1&board_after=<timeline id>``; each round, this source tells it which of the user's events
got a timeline row since (a ``board`` event), and the page reloads its figures. A change of the user's devices (a
new or repeated alarm, a device gone offline or back) is a ``board`` event too, for the devices panel. Other
pages' streams are untouched (without ``board=1`` the source returns nothing and reads nothing)."""

from __future__ import annotations

from django.db.models import Max

from shequ.alerts import live
from shequ.events.models import TimelineEntry
from shequ.events.queries import events_for

from . import board_devices

KEY = "assessment_board_after"
DEVICES_KEY = "assessment_board_devices"


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
    devices = _devices_changed(feed)
    rows = list(TimelineEntry.objects.filter(pk__gt=after).order_by("pk").values_list("pk", "event_id")[:500])
    codes: list[str] = []
    if rows:
        feed.extra[KEY] = rows[-1][0]
        codes = sorted(
            events_for(request.user).filter(pk__in={event for _pk, event in rows}).values_list("code", flat=True)  # type: ignore[arg-type]
        )
    if devices:
        return [live.LiveEvent("board", {"events": codes, "devices": True})]
    return [live.LiveEvent("board", {"events": codes})] if codes else []


def _devices_changed(feed: live.Feed) -> bool:
    """True when the user's devices changed since the last round (never on the first: the page has them)."""
    now = board_devices.signature(feed.request.user)  # type: ignore[arg-type]
    before = feed.extra.get(DEVICES_KEY)
    feed.extra[DEVICES_KEY] = now
    return before is not None and before != now


def register() -> None:
    if board_events not in live.STAFF_SOURCES:
        live.STAFF_SOURCES.append(board_events)
