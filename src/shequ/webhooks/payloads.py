"""What a delivery says: the wire format of docs/webhooks.md, built once when the delivery is made.

Two views of an event, as the API and Open311 give them: ``GRANT`` when the subscription's account may see the
event (``events.queries.events_for``: its area, its unit's events, its own reports), with the description, address,
notes and outcome the API's detail shows that grant; ``PUBLIC`` when it may not but the event is on the open
Open311 feed (a public category, accepted by a desk), with the reporter's words only where they agreed to publish
them and no notes. A reporter's name and phone are never sent, in either view (Open311 never shows them either).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from shequ.access.models import User
from shequ.events.models import Event, Status, TimelineEntry
from shequ.events.queries import events_for

GRANT = "grant"
PUBLIC = "public"
# Actions after which the outcome (result, rating: 回访) goes with the change.
OUTCOME_ACTIONS = frozenset({"verify_pass", "rate", "reject", "reopen", "inspection_reopen", "handle"})
FORMAT_VERSION = 1


def iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _ref(obj: Any) -> dict[str, str] | None:
    return {"code": obj.code, "name": obj.name} if obj is not None else None


def is_public(event: Event) -> bool:
    """On the open Open311 feed (``open311.views.public_events``, the same rule in memory)."""
    category = event.category
    return category is not None and category.public and event.status not in (Status.REPORTED, Status.REJECTED)


def view_for(owner: User | None, event: Event) -> str | None:
    """``GRANT``, ``PUBLIC`` or None (nothing may go out) for what the account may see of the event."""
    if owner is None or not owner.is_active:
        return None
    if events_for(owner).filter(pk=event.pk).exists():
        return GRANT
    return PUBLIC if is_public(event) else None


def event_type(entry: TimelineEntry) -> str:
    return f"event.{entry.action}"


def build(*, key: str, entry: TimelineEntry, event: Event, view: str) -> dict[str, Any]:
    full = view == GRANT
    actor = entry.actor
    body: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "delivery": key,
        "type": event_type(entry),
        "view": view,
        "event": event.code,
        "action": entry.action,
        "from_state": entry.from_status,
        "state": entry.to_status,
        "at": iso(entry.at),
        "actor_role": (actor.role if actor is not None else "system"),
        "channel": event.channel,
        "source_ref": event.source_ref if full else "",
        "category": _ref(event.category),
        "level": _ref(event.level),
        "area_code": event.area_code,
        "address": event.address,
        "lon": event.lon,
        "lat": event.lat,
        "description": event.description if (full or event.publish_description) else "",
        "unit": _ref(entry.unit or event.unit),
        "deadline": iso(event.deadline),
        "overdue": event.overdue,
        "supervised": event.supervised,
        "reported_at": iso(event.reported_at),
        "note": entry.note if full else "",
    }
    if entry.action in OUTCOME_ACTIONS:
        body["outcome"] = {
            "result": event.result if full else "",
            "handled_at": iso(event.handled_at),
            "closed_at": iso(event.closed_at),
            "rating": event.rating,
            "rating_comment": event.rating_comment if full else "",
            "rework_count": event.rework_count,
        }
    return body
