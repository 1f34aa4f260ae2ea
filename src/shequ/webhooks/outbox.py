"""The outbox: every timeline row of the event loop that a subscription wants becomes a ``Delivery`` in the
action's own transaction, so a change that rolls back sends nothing and a change that commits is never lost.

The listener runs on every timeline row, so it must cost nothing when no subscription exists: the subscriptions'
filters are held in each process (``Snapshot``), rebuilt when a version in the shared cache moves (every write of
``actions`` bumps it) and checked against it at most once a second. Only a row that matches a filter costs a
query: the matching subscriptions and their accounts are read fresh (a subscription deleted in another process a
moment ago is skipped), and for each one whether its account may see the event.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

from shequ.core import clock
from shequ.events.models import Event, TimelineEntry

from . import payloads
from .models import Delivery, DeliveryStatus, Subscription

log = logging.getLogger(__name__)

VERSION_KEY = "shequ.webhooks.version"
QUEUED_FLAG = "shequ.webhooks.queued"
RECHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Filter:
    """One subscription's filters, in memory. Empty tuples match anything."""

    pk: int
    categories: tuple[str, ...]  # category codes: a group matches its leaves (codes nest)
    areas: tuple[str, ...]  # region codes: prefixes of the event's area code
    units: frozenset[int]
    channels: frozenset[str]
    actions: frozenset[str]
    statuses: frozenset[str]

    def matches(self, event: Event, entry: TimelineEntry) -> bool:
        if self.actions and entry.action not in self.actions:
            return False
        if self.statuses and entry.to_status not in self.statuses:
            return False
        if self.channels and event.channel not in self.channels:
            return False
        if self.areas and not event.area_code.startswith(self.areas):
            return False
        if self.units and not ({entry.unit_id, event.unit_id} & self.units):
            return False
        if self.categories:
            code = event.category.code if event.category_id and event.category else ""
            if not code or not code.startswith(self.categories):
                return False
        return True


def load_filters() -> tuple[Filter, ...]:
    """Every subscription, paused ones too: their deliveries wait until they are resumed."""
    subs = Subscription.objects.prefetch_related("categories", "areas", "units").order_by("pk")
    return tuple(
        Filter(
            pk=s.pk,
            categories=tuple(c.code for c in s.categories.all()),
            areas=tuple(r.code for r in s.areas.all()),
            units=frozenset(u.pk for u in s.units.all()),
            channels=frozenset(s.channels or ()),
            actions=frozenset(s.actions or ()),
            statuses=frozenset(s.statuses or ()),
        )
        for s in subs
    )


class Snapshot:
    """The filters of this process, rebuilt when the shared version moves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._filters: tuple[Filter, ...] | None = None
        self._version: object = None
        self._checked = -1e9

    def filters(self) -> tuple[Filter, ...]:
        now = time.monotonic()
        if self._filters is not None and now - self._checked < RECHECK_SECONDS:
            return self._filters
        with self._lock:
            version = cache.get(VERSION_KEY)
            if self._filters is None or version != self._version:
                self._filters = load_filters()
                self._version = version
            self._checked = now
            return self._filters

    def invalidate(self) -> None:
        with self._lock:
            self._filters = None


snapshot = Snapshot()


def changed() -> None:
    """A subscription was made, edited, paused, resumed or deleted: every process reloads its filters."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    snapshot.invalidate()
    # Another transaction may have loaded the old filters meanwhile: once this one commits, load again.
    transaction.on_commit(snapshot.invalidate)


def on_timeline(entry: TimelineEntry) -> None:
    """The events app's hook: runs inside the action's transaction (``events.hooks``)."""
    filters = snapshot.filters()
    if not filters:
        return
    event = entry.event
    wanted = [f.pk for f in filters if f.matches(event, entry)]
    if not wanted:
        return
    subs = list(Subscription.objects.filter(pk__in=wanted).select_related("owner", "owner__region", "owner__unit"))
    if len(subs) < len(wanted):
        snapshot.invalidate()  # deleted meanwhile (or a test's rolled-back rows): read them again next time
    now = clock.now()
    rows = []
    for sub in subs:
        view = payloads.view_for(sub.owner, event)
        if view is None:
            continue
        key = uuid.uuid4().hex
        rows.append(
            Delivery(
                subscription=sub,
                event=event,
                entry=entry,
                key=key,
                event_type=payloads.event_type(entry),
                payload=payloads.build(key=key, entry=entry, event=event, view=view),
                status=DeliveryStatus.PENDING,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
        )
    if rows:
        Delivery.objects.bulk_create(rows)
        transaction.on_commit(schedule_send)


def schedule_send() -> None:
    """After commit: one send task waiting at a time (the flag goes when the task starts); the tick sends anyway."""
    if not cache.add(QUEUED_FLAG, 1, timeout=300):
        return
    from .tasks import send_webhooks

    try:
        send_webhooks.enqueue()
    except Exception:  # the tick sends it; an action must not fail after its commit
        cache.delete(QUEUED_FLAG)
        log.exception("could not enqueue the webhook send")
