"""Chinese working time: official holidays, adjusted workdays (调休) and working hours.

Deadlines are counted in working hours or working days. The calendar comes
from ``chinese_calendar``; for a year it does not know yet (it raises
``NotImplementedError``) we fall back to weekends plus the fixed holidays in
``SHEQU_FALLBACK_HOLIDAYS`` and log it once, so a deadline is never a crash.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings

log = logging.getLogger(__name__)
_warned_years: set[int] = set()


@cache
def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _periods() -> list[tuple[time, time]]:
    periods = []
    for item in settings.SHEQU_WORK_PERIODS:
        start, end = item.split("-")
        periods.append((time.fromisoformat(start), time.fromisoformat(end)))
    return sorted(periods)


@lru_cache(maxsize=4096)
def _official_workday(day: date) -> bool | None:
    """The official calendar's answer, or None for a year it does not know."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def is_workday(day: date) -> bool:
    official = _official_workday(day)
    if official is not None:
        return official
    if day.year not in _warned_years:
        _warned_years.add(day.year)
        log.warning("chinese_calendar has no data for %s; using the fallback calendar", day.year)
    return day.weekday() < 5 and day.strftime("%m-%d") not in settings.SHEQU_FALLBACK_HOLIDAYS


def next_workday(day: date) -> date:
    """The first working day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_workday(day):
        day += timedelta(days=1)
    return day


def _working_start(moment: datetime) -> datetime:
    """``moment`` if it falls in working time, else the start of the next working period."""
    local = moment.astimezone(_zone())
    day = local.date()
    periods = _periods()
    if is_workday(day):
        for start, end in periods:
            if local.time() < end:
                return max(local, datetime.combine(day, start, _zone()))
    return datetime.combine(next_workday(day), periods[0][0], _zone())


def add_working_hours(start: datetime, hours: float) -> datetime:
    """The moment ``hours`` of working time after ``start``.

    No time (``hours <= 0``) is ``start`` itself, so that adding ``h1`` then ``h2``
    always equals adding ``h1 + h2``.
    """
    if hours <= 0:
        return start
    remaining = timedelta(hours=hours)
    current = _working_start(start)
    while True:
        day = current.date()
        for p_start, p_end in _periods():
            period_end = datetime.combine(day, p_end, _zone())
            if current >= period_end:
                continue
            current = max(current, datetime.combine(day, p_start, _zone()))
            available = period_end - current
            if remaining <= available:
                return current + remaining
            remaining -= available
            current = period_end
        current = datetime.combine(next_workday(day), _periods()[0][0], _zone())


def add_working_days(start: datetime, days: int) -> datetime:
    """The same working clock time on the ``days``-th working day after ``start``.

    A start outside working time counts from the next working period's start,
    so a Friday-evening report with a 1-day limit is due Tuesday morning.
    """
    current = _working_start(start)
    day = current.date()
    for _ in range(days):
        day = next_workday(day)
    return datetime.combine(day, current.timetz().replace(tzinfo=None), _zone())


def working_hours_between(start: datetime, end: datetime) -> float:
    """Working hours from ``start`` to ``end`` (0 if ``end`` is not later)."""
    if end <= start:
        return 0.0
    total = timedelta()
    current = _working_start(start)
    while current < end:
        day = current.date()
        for p_start, p_end in _periods():
            period_end = datetime.combine(day, p_end, _zone())
            if current >= period_end:
                continue
            current = max(current, datetime.combine(day, p_start, _zone()))
            if current >= end:
                break
            total += min(period_end, end) - current
            current = period_end
        current = datetime.combine(next_workday(day), _periods()[0][0], _zone())
    return total.total_seconds() / 3600
