"""Events told as stories: each step of the loop at a moment of the frozen clock, through the real actions."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from shequ.core import clock
from shequ.events import actions
from shequ.events.models import Channel, Event

from ..world import World

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """'2025-09-26 10:00' in Shanghai time."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


class Story:
    """``Story(w).report('2025-09-26 10:00').accept('... 11:30').dispatch(...)``: one event, step by step."""

    def __init__(self, w: World, *, by=None, grid=None, channel: str = Channel.RESIDENT, category=None) -> None:
        self.w = w
        self.by = by or w.resident
        self.grid = grid or w.g1
        self.channel = channel
        self.category = category or w.litter
        self.event: Event | None = None

    def _at(self, when: str, fn, *args, **kwargs) -> Story:
        with clock.frozen(at(when)):
            self.event = fn(*args, **kwargs)
        return self

    def report(self, when: str) -> Story:
        lon, lat = self.w.point_in(self.grid)
        return self._at(
            when,
            actions.report,
            by=self.by,
            channel=self.channel,
            description="楼下垃圾堆积",
            category=self.category,
            lon=lon,
            lat=lat,
        )

    def accept(self, when: str, by=None) -> Story:
        return self._at(when, actions.accept, self.event, by=by or self.desk())

    def reject(self, when: str) -> Story:
        return self._at(when, actions.reject, self.event, by=self.desk(), reason="不属于受理范围")

    def dispatch(self, when: str, unit=None) -> Story:
        return self._at(when, actions.dispatch, self.event, by=self.desk(), unit=unit)

    def sweep(self, when: str) -> Story:
        with clock.frozen(at(when)):
            actions.mark_overdue()
        self.event.refresh_from_db()
        return self

    def handle(self, when: str, by=None) -> Story:
        return self._at(when, actions.handle, self.event, by=by or self.handler(), result="已处置")

    def verify(self, when: str, passed: bool = True, by=None) -> Story:
        return self._at(
            when,
            actions.verify,
            self.event,
            by=by or self.w.grid_worker,
            passed=passed,
            note="" if passed else "未清理",
        )

    def rate(self, when: str, score: int, reopen: bool = False) -> Story:
        return self._at(when, actions.rate, self.event, by=self.by, score=score, reopen_if_low=reopen)

    def desk(self):
        if self.grid.code.startswith(self.w.c1.code):
            return self.w.community_staff
        return self.w.street_dispatcher if self.grid.code.startswith(self.w.s1.code) else self.w.street_dispatcher_s2

    def handler(self):
        unit = self.event.unit
        return self.w.handler if unit == self.w.sanitation else self.w.handler_city
