"""Chinese working time: holidays, adjusted workdays (调休), lunch, weekends, unknown years."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.core import worktime

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


# --- Golden Week 2025: the facts, from the calendar library itself -------------------------------


def test_it_knows_golden_week_2025_from_chinese_calendar():
    for day in range(1, 9):
        assert chinese_calendar.is_holiday(date(2025, 10, day)), f"Oct {day}"
        assert not worktime.is_workday(date(2025, 10, day))
    # The adjusted workdays: a Sunday before and a Saturday after.
    assert date(2025, 9, 28).weekday() == 6 and chinese_calendar.is_workday(date(2025, 9, 28))
    assert date(2025, 10, 11).weekday() == 5 and chinese_calendar.is_workday(date(2025, 10, 11))
    assert worktime.is_workday(date(2025, 9, 28)) and worktime.is_workday(date(2025, 10, 11))
    assert worktime.is_workday(date(2025, 10, 9))
    assert not worktime.is_workday(date(2025, 10, 12))  # an ordinary Sunday


def test_it_counts_working_days_across_golden_week():
    assert worktime.add_working_days(at("2025-09-30T10:00"), 1) == at("2025-10-09T10:00")
    assert worktime.add_working_days(at("2025-09-30T10:00"), 3) == at("2025-10-11T10:00")  # Thu, Fri, adjusted Sat
    assert worktime.add_working_days(at("2025-10-03T15:00"), 1) == at("2025-10-10T09:00")  # from Oct 9 09:00


def test_it_counts_an_adjusted_sunday_as_a_working_day():
    # Friday Sep 26 + 1 working day is Sunday Sep 28, not Monday.
    assert worktime.add_working_days(at("2025-09-26T10:00"), 1) == at("2025-09-28T10:00")
    assert worktime.add_working_hours(at("2025-09-26T17:00"), 2) == at("2025-09-28T10:00")
    assert worktime.add_working_hours(at("2025-10-10T17:30"), 1) == at("2025-10-11T09:30")


def test_it_counts_working_hours_across_golden_week():
    # One hour on Sep 30, then nothing until Oct 9.
    assert worktime.add_working_hours(at("2025-09-30T17:00"), 2) == at("2025-10-09T10:00")
    assert worktime.working_hours_between(at("2025-09-30T17:00"), at("2025-10-09T10:00")) == 2.0
    assert worktime.working_hours_between(at("2025-10-01T09:00"), at("2025-10-08T18:00")) == 0.0


# --- lunch, evenings and weekends ------------------------------------------------------------


def test_it_skips_the_lunch_break():
    assert worktime.add_working_hours(at("2025-06-10T11:00"), 2) == at("2025-06-10T15:00")
    assert worktime.add_working_hours(at("2025-06-10T11:00"), 1) == at("2025-06-10T12:00")
    assert worktime.add_working_hours(at("2025-06-10T12:30"), 1) == at("2025-06-10T15:00")
    assert worktime.working_hours_between(at("2025-06-10T11:00"), at("2025-06-10T15:00")) == 2.0
    assert worktime.working_hours_between(at("2025-06-10T12:10"), at("2025-06-10T13:50")) == 0.0


def test_it_skips_evenings_and_weekends():
    # Friday 17:00 + 3h: one on Friday, two on Monday morning.
    assert worktime.add_working_hours(at("2025-06-13T17:00"), 3) == at("2025-06-16T11:00")
    assert worktime.add_working_hours(at("2025-06-14T10:00"), 1) == at("2025-06-16T10:00")  # Saturday start
    assert worktime.add_working_hours(at("2025-06-10T20:00"), 7) == at("2025-06-11T18:00")
    assert worktime.add_working_days(at("2025-06-13T19:30"), 1) == at("2025-06-17T09:00")
    assert worktime.working_hours_between(at("2025-06-13T17:00"), at("2025-06-16T11:00")) == 3.0
    assert worktime.working_hours_between(at("2025-06-13T09:00"), at("2025-06-20T09:00")) == 35.0


def test_it_reads_the_working_periods_from_settings(settings):
    settings.SHEQU_WORK_PERIODS = ["08:30-12:00", "13:30-17:30"]
    assert worktime.add_working_hours(at("2025-06-10T11:00"), 2) == at("2025-06-10T14:30")
    assert worktime.add_working_days(at("2025-06-10T07:00"), 1) == at("2025-06-11T08:30")


def test_it_takes_no_time_as_the_start_itself():
    assert worktime.add_working_hours(at("2025-06-14T22:00"), 0) == at("2025-06-14T22:00")
    assert worktime.working_hours_between(at("2025-06-10T15:00"), at("2025-06-10T10:00")) == 0.0


def test_it_answers_in_the_platform_time_zone_for_any_aware_start():
    start = datetime(2025, 6, 10, 2, 0, tzinfo=ZoneInfo("UTC"))  # 10:00 in Shanghai
    assert worktime.add_working_hours(start, 1) == at("2025-06-10T11:00")


# --- a year the calendar library does not know -------------------------------------------------


def test_it_falls_back_for_a_year_the_library_does_not_know(settings, caplog):
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2031, 3, 4))
    worktime._warned_years.discard(2031)  # the warning is logged once per process
    with caplog.at_level(logging.WARNING, logger="shequ.core.worktime"):
        assert worktime.is_workday(date(2031, 3, 4))  # a Tuesday
        assert not worktime.is_workday(date(2031, 3, 8))  # a Saturday
        assert not worktime.is_workday(date(2031, 10, 1))  # in SHEQU_FALLBACK_HOLIDAYS
    assert [r.getMessage() for r in caplog.records] == [
        "chinese_calendar has no data for 2031; using the fallback calendar"
    ]
    # Tue Sep 30 2031 + 1 day: Oct 1-3 are fallback holidays, Oct 4-5 the weekend.
    assert worktime.add_working_days(at("2031-09-30T10:00"), 1) == at("2031-10-06T10:00")
    assert worktime.working_hours_between(at("2031-09-30T17:00"), at("2031-10-06T10:00")) == 2.0


def test_it_reads_the_fallback_holidays_from_settings(settings):
    settings.SHEQU_FALLBACK_HOLIDAYS = ["03-04"]
    assert not worktime.is_workday(date(2031, 3, 4))
    assert worktime.is_workday(date(2031, 10, 1))
    assert worktime.add_working_days(at("2031-03-03T10:00"), 1) == at("2031-03-05T10:00")


# --- properties ------------------------------------------------------------------------------

starts = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(TZ))
hours = st.integers(min_value=0, max_value=60 * 80).map(lambda minutes: minutes / 60)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(start=starts, h1=hours, h2=hours)
def test_it_adds_working_hours_in_steps_as_in_one_go(start, h1, h2):
    in_one_go = worktime.add_working_hours(start, h1 + h2)
    in_steps = worktime.add_working_hours(worktime.add_working_hours(start, h1), h2)
    assert abs(in_one_go - in_steps) < timedelta(milliseconds=1)


@PROPERTY
@given(start=starts, h=hours)
def test_it_measures_back_the_hours_it_added(start, h):
    end = worktime.add_working_hours(start, h)
    assert end >= start
    assert worktime.working_hours_between(start, end) == pytest.approx(h, abs=1e-6)


@PROPERTY
@given(start=starts, days=st.integers(min_value=1, max_value=30))
def test_it_lands_working_days_on_a_working_day_in_working_time(start, days):
    due = worktime.add_working_days(start, days)
    assert worktime.is_workday(due.date())
    local = due.astimezone(TZ).time()
    assert time(9) <= local < time(12) or time(14) <= local < time(18)
    # Each working day holds 7 working hours (09:00-12:00, 14:00-18:00).
    assert worktime.working_hours_between(start, due) == pytest.approx(7 * days, abs=1e-6)
