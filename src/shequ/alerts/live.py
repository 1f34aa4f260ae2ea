"""Live push to open pages: server-sent events (``text/event-stream``) at ``/alerts/stream/``.

    resident: one ``alert`` event per new in-app Delivery of theirs (id = the delivery's id), carrying the banner
              as it now stands (a Cancel or an Update replaces or removes it); a ``banner`` event (no id) when the
              banner changed otherwise (answered on another device, expired)
    staff:    one ``approved`` event per alert approved or auto-published in their area (id = the AlertEntry's id)

The database is the source: the stream polls it every ``SHEQU_ALERT_STREAM_POLL`` seconds, and at once when a
nudge (``core.bus`` topic ``live``: an approval, a fan-out chunk) comes from any process. Ids only grow, so
``Last-Event-ID`` (sent by the browser when it reconnects) or ``?after=`` (the page's cursor, taken when it was
rendered) says where to resume; within one connection the rows already sent are remembered, so a row whose
transaction committed after a later id was read is still sent. Heartbeats (comments) keep proxies from closing an
idle stream; after ``SHEQU_ALERT_STREAM_SECONDS`` the stream ends and ``EventSource`` reconnects by itself.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Max
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from shequ.access.models import Role, User
from shequ.core import bus
from shequ.registry.models import Person
from shequ.registry.queries import person_of

from . import queries
from .models import Alert, AlertEntry, Delivery, DeliveryChannel, MsgType

log = logging.getLogger(__name__)

RETRY_MS = 3000  # how long EventSource waits before reconnecting

_open = 0
_open_lock = threading.Lock()


def open_streams() -> int:
    """How many streams this process is serving now (each holds a thread while it runs)."""
    return _open


def _count(change: int) -> None:
    global _open
    with _open_lock:
        _open += change


# Streams started before the latest close_all() end at their next round instead of waiting for a failed write.
_generation = 0
_wake = threading.Event()


def close_all(wait: float = 5.0) -> bool:
    """End every open stream of this process (a server shutting down; a test tearing down its live server's
    pages before its database goes). True when none is left within ``wait`` seconds."""
    global _generation, _wake
    _generation += 1
    woken, _wake = _wake, threading.Event()
    woken.set()
    deadline = time.monotonic() + wait
    while _open and time.monotonic() < deadline:
        time.sleep(0.02)
    return _open == 0


TOPIC = "live"


def _nudged() -> None:
    """Every open stream of this process polls now (a new delivery or approval somewhere)."""
    global _wake
    woken, _wake = _wake, threading.Event()
    woken.set()


def nudge() -> None:
    """Tell every process's open streams to look again, once the current transaction commits."""
    bus.publish(TOPIC)


PUBLISHED = ("approve", "auto_publish")  # the timeline actions after which an alert is out


@dataclass(frozen=True)
class LiveEvent:
    event: str
    data: dict
    id: int | None = None

    def encode(self) -> str:
        head = f"id: {self.id}\n" if self.id is not None else ""
        # json.dumps keeps the data on one line, as one "data:" field must be.
        return f"{head}event: {self.event}\ndata: {json.dumps(self.data, ensure_ascii=False)}\n\n"


def is_resident(user: User) -> bool:
    return user.is_authenticated and user.role == Role.RESIDENT


def _in_app(person: Person | None):
    return Delivery.objects.filter(person=person, channel=DeliveryChannel.IN_APP)


def _published(user: User):
    return AlertEntry.objects.filter(action__in=PUBLISHED, alert__in=queries.alerts_for(user))


def cursor_for(user: User) -> int:
    """Where a page rendered now should start its stream: the newest id the user could already have seen."""
    if is_resident(user):
        person = person_of(user)
        rows = _in_app(person) if person is not None else Delivery.objects.none()
    elif user.is_authenticated and user.is_staff_role:
        rows = AlertEntry.objects.all()  # a position only (the stream filters): the primary key answers it
    else:
        return 0
    return rows.aggregate(last=Max("pk"))["last"] or 0


# Other apps add to what staff pages are told (assessment's wall board): each source gets the feed and returns
# events without ids, so the stream's cursor stays the alerts'. Apps register in their AppConfig.ready().
StaffSource = Callable[["Feed"], list[LiveEvent]]
STAFF_SOURCES: list[StaffSource] = []


@dataclass
class Feed:
    """What one open page is told. ``poll`` returns the events since the last call."""

    request: HttpRequest
    after: int | None  # None: from now
    sent: set[int] = field(default_factory=set)
    banner: int | None = None  # the alert the resident's banner shows, as last sent (or at the start)
    started: bool = False
    resident: bool = False
    person: Person | None = None
    extra: dict = field(default_factory=dict)  # the state of STAFF_SOURCES, one key each

    def _start(self) -> None:
        # Called from the stream, not the view: a database hiccup then ends or skips a round, never a 500 that
        # would stop EventSource for good.
        user = self.request.user
        self.resident = is_resident(user)
        self.person = person_of(user) if self.resident else None
        if self.after is None:
            self.after = cursor_for(user)
        if self.resident:
            self.banner = self._banner_pk()
        self.started = True

    def _banner_pk(self) -> int | None:
        alert = queries.banner_for(self.request.user)
        return alert.pk if alert is not None else None

    def banner_html(self) -> str:
        alert = queries.banner_for(self.request.user)
        self.banner = alert.pk if alert is not None else None
        return render_to_string("alerts/_banner_body.html", {"alert_banner": alert or ""}, request=self.request)

    def poll(self, *, recheck: bool = False) -> list[LiveEvent]:
        if not self.started:
            self._start()
        if self.resident:
            return self._resident(recheck)
        if self.request.user.is_staff_role:
            return self._staff()
        return []

    def _resident(self, recheck: bool) -> list[LiveEvent]:
        if self.person is None:
            return []
        rows = list(
            _in_app(self.person)
            .filter(pk__gt=self.after)
            .exclude(pk__in=self.sent)
            .select_related("alert")
            .order_by("pk")[:50]
        )
        if not rows:
            # Answered on another device, expired or replaced without a row for us: only the banner changes.
            if recheck and self._banner_pk() != self.banner:
                return [LiveEvent("banner", {"banner": self.banner_html()})]
            return []
        html = self.banner_html()
        events = []
        for row in rows:
            self.sent.add(row.pk)
            events.append(LiveEvent("alert", _alert_data(row.alert) | {"banner": html}, id=row.pk))
        return events

    def _staff(self) -> list[LiveEvent]:
        entries = list(
            _published(self.request.user)
            .filter(pk__gt=self.after)
            .exclude(pk__in=self.sent)
            .select_related("alert")
            .order_by("pk")[:50]
        )
        events = []
        for entry in entries:
            self.sent.add(entry.pk)
            alert = entry.alert
            data = _alert_data(alert) | {
                "url": reverse("alerts:detail", args=[alert.pk]),
                "board": reverse("alerts:board", args=[alert.pk]),
                "text": _("New alert out: %(headline)s") % {"headline": alert.headline},
            }
            events.append(LiveEvent("approved", data, id=entry.pk))
        for source in STAFF_SOURCES:
            events += source(self)
        return events


def _alert_data(alert: Alert) -> dict:
    return {
        "alert": alert.pk,
        "msg_type": alert.msg_type,
        "cancel": alert.msg_type == MsgType.CANCEL,
        "headline": alert.headline,
    }


def resume_from(request: HttpRequest) -> int | None:
    """``Last-Event-ID`` when the browser reconnects, else the page's ``?after=``, else None: from now."""
    for raw in (request.headers.get("Last-Event-ID"), request.GET.get("after")):
        if raw is not None and raw.strip().isdigit():
            return int(raw.strip())
    return None


def stream(
    feed: Feed,
    *,
    poll: float | None = None,
    heartbeat: float | None = None,
    lifetime: float | None = None,
    sleep: Callable[[float], None] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> Iterator[str]:
    """The body of the response: events as they come, heartbeats in between, until the lifetime is over."""
    poll = settings.SHEQU_ALERT_STREAM_POLL if poll is None else poll
    heartbeat = settings.SHEQU_ALERT_STREAM_HEARTBEAT if heartbeat is None else heartbeat
    lifetime = settings.SHEQU_ALERT_STREAM_SECONDS if lifetime is None else lifetime
    generation = _generation
    bus.subscribe(TOPIC, _nudged)
    _count(+1)
    try:
        yield f"retry: {RETRY_MS}\n\n"
        start = last_out = last_check = monotonic()
        while generation == _generation:
            # Taken before the poll: a nudge that comes during the poll (it replaces _wake) ends the pause at once.
            wake = _wake
            recheck = monotonic() - last_check >= heartbeat
            if recheck:
                last_check = monotonic()
            try:
                events = feed.poll(recheck=recheck)
            except DatabaseError:
                # Try again next round; what was not sent stays above the cursor.
                log.warning("alert stream: the database did not answer this round", exc_info=True)
                events = []
            for event in events:
                yield event.encode()
                last_out = monotonic()
            # Between polls the stream holds no database connection (outside a test's transaction): an open
            # page must not pin one of the pool's few connections for minutes.
            if not connection.in_atomic_block:
                connection.close()
            if monotonic() - start >= lifetime:
                return
            if monotonic() - last_out >= heartbeat:
                # Also how a page that went away is noticed: the write fails and the server closes the stream.
                yield ": ping\n\n"
                last_out = monotonic()
            (sleep or wake.wait)(poll)
    finally:
        _count(-1)
