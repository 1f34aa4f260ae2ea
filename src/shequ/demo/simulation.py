"""Ninety days of events, played through the real actions at their own moments.

Each event follows a plot (closed and rated, reworked, returned, escalated ...)
written as a generator: it takes one action, then yields the moment of its
next one. A scheduler runs every plot's steps in time order, each inside
``clock.frozen(at)``, and sweeps for overdue events every simulated hour, so
timelines, deadlines, overdue marks and codes are what the live system would
have produced. A step due after "now" never runs: the event stays where it is,
as recent events do. A few plots stop on purpose at each open state, so every
state shows in the demo.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from faker import Faker

from shequ.core import clock, worktime
from shequ.events import actions
from shequ.events.models import Category, Channel, Event, Level, Status

from . import texts
from .cast import Cast

DAYS = 90
_SWEEP = timedelta(hours=1)

Steps = Iterator[datetime]

# Plot kinds and how often each occurs among the ordinary events.
PLOT_WEIGHTS = {
    "closed": 58,
    "rejected": 5,
    "rework": 5,
    "reopened": 2,
    "escalated": 4,
    "returned": 4,
    "supervised": 3,
    "extension": 5,
    "stuck": 2,  # never handled: the sweep finds it overdue
    "street_desk": 4,  # a category nobody is responsible for
}


@dataclass(frozen=True)
class Plot:
    kind: str
    stop: str = ""  # stop at this point on purpose (an open state)
    channel: str = ""  # force a channel (residents rate)
    calm: bool = False  # an ordinary (一般) category, whose limit is a day or more


# One plot per state the demo must show, placed so that it gets there before "now":
# (plot, working hours before now it starts).
FORCED = (
    (Plot("closed", channel=Channel.RESIDENT), 200),
    (Plot("closed", channel=Channel.GRID_WORKER), 180),
    (Plot("rejected"), 100),
    (Plot("closed", stop="reported"), 2),
    (Plot("closed", stop="accepted"), 6),
    (Plot("closed", stop="dispatched", calm=True), 8),
    (Plot("stuck"), 200),
    (Plot("supervised", stop="supervised", calm=True), 12),
    (Plot("extension", stop="extension"), 20),
    (Plot("closed", stop="handled"), 120),
    (Plot("rework", channel=Channel.RESIDENT), 220),
    (Plot("reopened", stop="reopened", channel=Channel.RESIDENT), 220),
    (Plot("escalated"), 200),
    (Plot("escalated", stop="escalated"), 24),
    (Plot("returned"), 200),
    (Plot("street_desk"), 200),
    (Plot("street_desk", stop="street_desk"), 12),
)


class Simulation:
    def __init__(self, *, seed: int, now: datetime, cast: Cast) -> None:
        self.rng = random.Random(f"{seed}:events")
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed + 2)
        self.now = now
        self.start = now - timedelta(days=DAYS)
        self.cast = cast
        leaves = list(
            Category.objects.filter(active=True, children__isnull=True).select_related("default_level").order_by("code")
        )
        self.levels = list(Level.objects.order_by("rank"))
        self.leaves = leaves
        # Everyday problems (垃圾, 占道, 停车 ...) come up far more often than 燃气泄漏.
        common = {"0101", "0106", "0201", "0501", "0504", "0505", "0507", "0601", "0602", "0701", "0901", "0904"}
        self.weights = [
            8 if c.code in common else 2 if c.default_level and c.default_level.rank > 2 else 3 for c in leaves
        ]
        self.unrouted = [c for c in leaves if c.code in ("0508", "0705", "0806")] or leaves
        self.hotline_seq = 0
        self.deadlines: list[datetime] = []  # a heap of the deadlines set so far (for the sweeps)

    # --- running ---------------------------------------------------------------------------

    def run(self, count: int) -> int:
        plots = self._plots(count)
        queue = [(t0, n, self._story(plot)) for n, (plot, t0) in enumerate(plots)]
        heapq.heapify(queue)
        # Sweep for overdue events every hour, as the live scheduler would, but only in hours
        # when some deadline has passed (a sweep that can find nothing is skipped).
        deadlines = self.deadlines
        sweep_at = self.start + _SWEEP
        while queue:
            at, n, story = heapq.heappop(queue)
            if at >= self.now:
                continue  # later than now: the event stays in its current state
            while sweep_at <= at:
                if deadlines and deadlines[0] < sweep_at:
                    with clock.frozen(sweep_at):
                        actions.mark_overdue(now=sweep_at)
                    while deadlines and deadlines[0] < sweep_at:
                        heapq.heappop(deadlines)
                sweep_at += _SWEEP
            with clock.frozen(at):
                following = next(story, None)
            if following is not None:
                heapq.heappush(queue, (max(following, at + timedelta(seconds=1)), n, story))
        with clock.frozen(self.now):
            actions.mark_overdue()
        return len(plots)

    def _plots(self, count: int) -> list[tuple[Plot, datetime]]:
        forced = [(plot, self._working_hours_before_now(hours)) for plot, hours in FORCED][:count]
        kinds, weights = list(PLOT_WEIGHTS), list(PLOT_WEIGHTS.values())
        ordinary = [
            (Plot(self.rng.choices(kinds, weights)[0]), self._report_time()) for _ in range(count - len(forced))
        ]
        return forced + ordinary

    def _report_time(self) -> datetime:
        while True:
            day = self.now - timedelta(days=self.rng.randrange(DAYS))
            hour = self.rng.choices(
                range(24), [0, 0, 0, 0, 0, 0, 1, 3, 8, 10, 10, 8, 5, 6, 9, 10, 9, 8, 6, 5, 4, 3, 1, 0]
            )[0]
            local = timezone.localtime(day).replace(hour=hour, minute=self.rng.randrange(60), second=0)
            if self.start < local < self.now:
                return local

    def _working_hours_before_now(self, hours: float) -> datetime:
        """A moment that leaves at least ``hours`` of working time until now."""
        at = self.now - timedelta(hours=hours)
        while (missing := hours - worktime.working_hours_between(at, self.now)) > 0:
            at -= timedelta(hours=max(2 * missing, 1))  # a calendar hour holds at most one working hour
        return at

    # --- time between steps ------------------------------------------------------------------

    def _after(self, low: float, high: float) -> datetime:
        """A moment some working hours from now (desks and units act in office hours)."""
        return worktime.add_working_hours(clock.now(), self.rng.uniform(low, high))

    def _handled_at(self, event: Event) -> datetime:
        """Most units finish within the time limit; about one in eight is late."""
        if event.deadline is None:
            return self._after(1, 8)
        if self.rng.random() < 0.12:
            return worktime.add_working_hours(event.deadline, self.rng.uniform(1, 12))
        left = worktime.working_hours_between(clock.now(), event.deadline)
        return worktime.add_working_hours(clock.now(), left * self.rng.uniform(0.15, 0.9))

    # --- the plot ----------------------------------------------------------------------------

    def _story(self, plot: Plot) -> Steps:
        cast, rng = self.cast, self.rng
        event, category = self._report(plot)
        group = category.code[:2]
        if plot.stop == "reported":
            return
        yield self._after(0.2, 3)
        if plot.kind == "rejected":
            actions.reject(event, by=cast.desk(event), reason=rng.choice(texts.REJECT_REASONS))
            return
        event = actions.accept(event, by=cast.desk(event), note=rng.choice(texts.ACCEPT_NOTES))
        if plot.stop == "accepted":
            return
        yield clock.now() + timedelta(minutes=rng.randint(2, 40))
        event = self._due(actions.dispatch(event, by=cast.desk(event)))
        if event.status == Status.ACCEPTED:  # nobody is responsible: the street desk assigns it
            if plot.stop == "street_desk":
                return
            yield self._after(0.3, 4)
            event = self._due(actions.dispatch(event, by=cast.desk(event), unit=cast.unit_for(event)))
        if plot.stop == "dispatched" or plot.kind == "stuck":
            return
        if plot.kind == "supervised":
            yield self._after(1, 6)
            event = Event.objects.get(pk=event.pk)
            if not event.supervised:
                event = actions.supervise(
                    event, by=cast.street_dispatcher(event), note=rng.choice(texts.SUPERVISE_NOTES)
                )
            if plot.stop == "supervised":
                return
        if plot.kind == "extension":
            yield self._after(1, 6)
            event = actions.request_extension(
                event,
                by=cast.handler(event),
                hours=rng.choice((8, 16, 24, 40)),
                reason=rng.choice(texts.EXTENSION_REASONS),
            )
            if plot.stop == "extension":
                return
            yield self._after(0.5, 4)
            approve = rng.random() < 0.8
            event = self._due(
                actions.decide_extension(
                    event, by=cast.desk(event), approve=approve, note="" if approve else "请按原时限办结"
                )
            )
        if plot.kind == "returned":
            yield self._after(0.5, 6)
            unit_id = event.unit_id
            event = actions.return_(event, by=cast.handler(event), reason=rng.choice(texts.RETURN_REASONS))
            yield self._after(0.3, 3)
            event = self._due(actions.dispatch(event, by=cast.desk(event), unit=cast.unit_for(event, avoid=unit_id)))
        if plot.kind == "escalated":
            yield self._after(1, 8)
            event = actions.escalate(event, by=cast.handler(event), reason=rng.choice(texts.ESCALATE_REASONS))
            if plot.stop == "escalated":
                return
            yield self._after(0.5, 4)
            event = self._due(actions.dispatch(event, by=cast.desk(event), unit=cast.unit_for(event)))
        event = yield from self._handle(event, group)
        if plot.stop == "handled":
            return
        yield self._after(0.5, 8)
        if plot.kind == "rework":
            event = self._due(
                actions.verify(event, by=cast.verifier(event), passed=False, note=rng.choice(texts.VERIFY_FAIL_NOTES))
            )
            event = yield from self._handle(event, group)
            yield self._after(0.5, 8)
        event = actions.verify(event, by=cast.verifier(event), passed=True)
        if event.channel != Channel.RESIDENT or (plot.kind != "reopened" and rng.random() < 0.2):
            return  # closed, not rated
        yield clock.now() + timedelta(hours=rng.uniform(1, 48))
        low = plot.kind == "reopened"
        score = rng.choice((1, 2)) if low else rng.choices((5, 4, 3, 2, 1), (55, 25, 10, 6, 4))[0]
        comment = rng.choice(texts.RATING_COMMENTS[score])
        event = self._due(
            actions.rate(event, by=event.reporter, score=score, comment=comment, reopen_if_low=plot.kind == "reopened")
        )
        if plot.kind != "reopened" or plot.stop == "reopened":
            return
        event = yield from self._handle(event, group)
        yield self._after(0.5, 8)
        actions.verify(event, by=cast.verifier(event), passed=True)

    def _due(self, event: Event) -> Event:
        """Note the event's deadline, so the sweep after it runs."""
        if event.status == Status.DISPATCHED and event.deadline is not None:
            heapq.heappush(self.deadlines, event.deadline)
        return event

    def _handle(self, event: Event, group: str) -> Iterator[datetime]:
        yield self._handled_at(event)
        result = self.rng.choice(texts.RESULTS[group])
        return actions.handle(event, by=self.cast.handler(event), result=result)

    def _report(self, plot: Plot) -> tuple[Event, Category]:
        rng, cast = self.rng, self.cast
        if plot.kind == "street_desk":
            category = rng.choice(self.unrouted)
        elif plot.calm:
            category = rng.choice([c for c in self.leaves if c.default_level == self.levels[0]])
        else:
            category = rng.choices(self.leaves, self.weights)[0]
        level = category.default_level
        if level is not None and not plot.calm and rng.random() < 0.08:  # some reports are more urgent than usual
            level = next((lv for lv in self.levels if lv.rank > level.rank), level)
        place = rng.choice(cast.places)
        channel = plot.channel or rng.choices((Channel.GRID_WORKER, Channel.RESIDENT, Channel.HOTLINE), (45, 35, 20))[0]
        phrase = rng.choice(texts.DESCRIPTIONS.get(category.code) or texts.GENERIC_DESCRIPTION).format(
            name=category.name
        )
        description = (
            f"{place.name}{rng.choice(('附近', '门口', '旁边', '楼下', ''))}{phrase}{rng.choice(texts.CLOSING_WORDS)}"
        )
        common = {"channel": channel, "description": description, "category": category, "level": level}
        if channel == Channel.HOTLINE:
            # The 12345 system passes on an address; the operator picks the grid, or only the community.
            self.hotline_seq += 1
            event = actions.report(
                by=None,
                region=cast.regions[place.grid_id if rng.random() < 0.7 else place.community_id],
                address=place.address,
                reporter_name=self.fake.name(),
                reporter_phone=self.fake.phone_number(),
                source_ref=f"12345-{clock.now():%Y%m%d}-{self.hotline_seq:05d}",
                **common,
            )
            return event, category
        by = cast.grid_workers[place.grid_id] if channel == Channel.GRID_WORKER else rng.choice(cast.residents)
        # A phone's fix is a few metres off the building.
        lon, lat = place.lon + rng.uniform(-2e-5, 2e-5), place.lat + rng.uniform(-2e-5, 2e-5)
        return actions.report(by=by, lon=lon, lat=lat, address=place.address, **common), category
