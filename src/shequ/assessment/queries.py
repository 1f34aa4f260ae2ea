"""Reads of the figures, always for a scope the user may see (``scope_for``): an area (district, street,
community or grid), a unit, or one grid worker, over a period.

Area scopes read the rollups (a few thousand rows for a street's year); a unit or a grid worker reads the rollups'
unit or person slice for totals and their facts for breakdowns. A period is split into whole months (month rows)
and the days around them (day rows). The events behind any figure come from the facts (``events_behind``).
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import Floor
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.access.models import Role, Unit, User
from shequ.access.scopes import area_prefix
from shequ.core import clock
from shequ.core.errors import InvalidInput, NotFound
from shequ.events.models import Event
from shequ.events.queries import events_for
from shequ.geo.models import Region

from .indicators import MEASURE, MEASURE_CODES
from .models import Fact, Rollup, Slice, Source

BREAKDOWNS = ("day", "community", "grid", "category", "channel", "unit", "person")
SPOT_DEGREES = 0.0003  # a problem spot: a cell of about 30 m


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(_("The period ends before it starts."), code="bad_period", field="end")
        if (self.end - self.start).days > 3 * 366:
            raise InvalidInput(_("Choose a period of at most three years."), code="bad_period", field="start")

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> Period:
        today = today or timezone.localdate(clock.now())
        return cls(today - timedelta(days=days - 1), today)

    @classmethod
    def this_year(cls, today: date | None = None) -> Period:
        today = today or timezone.localdate(clock.now())
        return cls(date(today.year, 1, 1), today)

    @classmethod
    def month(cls, first: date) -> Period:
        return cls(first, first.replace(day=calendar.monthrange(first.year, first.month)[1]))

    def pieces(self) -> tuple[list[date], tuple[date, date] | None, tuple[date, date] | None]:
        """(whole months' first days, days before them, days after them); with no whole month, all are days."""
        first = self.start if self.start.day == 1 else _next_month(self.start)
        months = []
        while _month_end(first) <= self.end:
            months.append(first)
            first = _next_month(first)
        if not months:
            return [], (self.start, self.end), None
        before = (self.start, months[0] - timedelta(days=1)) if self.start < months[0] else None
        after_start = _month_end(months[-1]) + timedelta(days=1)
        after = (after_start, self.end) if after_start <= self.end else None
        return months, before, after

    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        return datetime.combine(self.start, time.min, tz), datetime.combine(self.end + timedelta(days=1), time.min, tz)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month_end(first: date) -> date:
    return _next_month(first) - timedelta(days=1)


@dataclass(frozen=True)
class Scope:
    """What the figures are of. ``area`` is a region-code prefix ('' is everywhere); ``unit`` or ``person``
    narrow it to one unit's or one grid worker's work inside that area."""

    area: str = ""
    unit: int | None = None
    person: int | None = None
    label: str = ""

    @property
    def slice(self) -> tuple[str, str]:
        if self.person is not None:
            return Slice.PERSON.value, str(self.person)
        if self.unit is not None:
            return Slice.UNIT.value, str(self.unit)
        if len(self.area) == 15:
            return Slice.GRID.value, self.area
        return Slice.ALL.value, ""

    def querystring(self) -> str:
        return urlencode(self.query())

    def query(self) -> dict[str, str]:
        """The scope as URL parameters (links keep the scope)."""
        params = {"area": self.area}
        if self.unit is not None:
            params["unit"] = str(self.unit)
        if self.person is not None:
            params["person"] = str(self.person)
        return params


# --- who may see which scope ----------------------------------------------------------------------------------


def scope_for(user: User, *, area: str = "", unit: int | None = None, person: int | None = None) -> Scope:
    """The scope asked for, if the user may see it: NotFound otherwise (missing and forbidden look the same).

    Administrators see everything; area roles their area (a grid worker: their grid, and their own figures);
    a unit's handlers their unit's figures only."""
    if not user.is_authenticated or not user.is_active:
        raise NotFound()
    if user.role == Role.UNIT_HANDLER and not user.sees_everything:
        if user.unit_id is None or unit not in (None, user.unit_id) or person is not None:
            raise NotFound()
        return Scope(area=area if area and _region_exists(area) else "", unit=user.unit_id, label=str(user.unit))
    prefix = area_prefix(user)
    if prefix is None or not user.is_staff_role:
        raise NotFound()
    area = area or prefix
    if not area.startswith(prefix) or (area and not _region_exists(area)):
        raise NotFound()
    if user.role == Role.GRID_WORKER and person not in (None, user.pk):
        raise NotFound()
    label = Region.objects.filter(code=area).values_list("name", flat=True).first() or _("Whole district")
    if unit is not None:
        found = Unit.objects.filter(pk=unit).first()
        if found is None:
            raise NotFound()
        label = f"{label} · {found.name}"
    if person is not None:
        worker = User.objects.filter(pk=person, role=Role.GRID_WORKER).select_related("region").first()
        if worker is None or worker.region is None or not worker.region.code.startswith(prefix):
            raise NotFound()
        label = worker.name or worker.username
    return Scope(area=area, unit=unit, person=person, label=label)


def _region_exists(code: str) -> bool:
    return Region.objects.filter(code=code).exists()


# --- sums from the rollups ------------------------------------------------------------------------------------

SUMS = {m: Sum(m) for m in MEASURE_CODES}


def _rollups(scope: Scope, slice_: str, key: str | None, grain: str, days: tuple[date, date]) -> QuerySet[Rollup]:
    qs = Rollup.objects.filter(slice=slice_, grain=grain, day__gte=days[0], day__lte=days[1])
    if key is not None:
        qs = qs.filter(key=key)
    if scope.area:
        qs = qs.filter(community_code__startswith=scope.area[:12])
    return qs


def _pieces(period: Period) -> Iterator[tuple[str, tuple[date, date]]]:
    months, before, after = period.pieces()
    if months:
        yield "m", (months[0], months[-1])
    for days in (before, after):
        if days:
            yield "d", days


def _counter(row: Mapping[str, Any]) -> Counter:
    return Counter({m: int(row.get(m) or 0) for m in MEASURE_CODES})


def totals(scope: Scope, period: Period) -> Counter:
    """Every measure summed over the scope and period."""
    slice_, key = scope.slice
    total: Counter = Counter()
    for grain, days in _pieces(period):
        total.update(_counter(_rollups(scope, slice_, key, grain, days).aggregate(**SUMS)))
    return total


def breakdown(scope: Scope, period: Period, by: str) -> dict[str, Counter]:
    """The measures per day, community, grid, category, channel, unit or grid worker."""
    if by not in BREAKDOWNS:
        raise InvalidInput(_("Unknown breakdown %(by)s.") % {"by": by}, code="bad_breakdown", field="by")
    if scope.slice[0] != Slice.ALL.value:  # a grid, a unit or a person: their own facts
        return _fact_breakdown(scope, period, by)
    found: dict[str, Counter] = {}
    if by == "day":
        rows = _rollups(scope, "", "", "d", (period.start, period.end)).values("day").annotate(**SUMS)
        return {str(row["day"]): _counter(row) for row in rows.order_by("day")}
    slice_, column = ("", "community_code") if by == "community" else (by, "key")
    for grain, days in _pieces(period):
        rows = _rollups(scope, slice_, None, grain, days).values(column).annotate(**SUMS)
        for row in rows:
            found.setdefault(row[column], Counter()).update(_counter(row))
    return found


FACT_GROUP = {
    "day": "day",
    "community": "community_code",
    "grid": "area_code",
    "category": "category_code",
    "channel": "channel",
    "unit": "unit_id",
    "person": "person_id",
}


def facts_in(scope: Scope, period: Period) -> QuerySet[Fact]:
    qs = Fact.objects.filter(day__gte=period.start, day__lte=period.end)
    if scope.area:
        qs = qs.filter(community_code__startswith=scope.area[:12])
        if len(scope.area) > 12:
            qs = qs.filter(area_code__startswith=scope.area)
    if scope.unit is not None:
        qs = qs.filter(unit_id=scope.unit)
    if scope.person is not None:
        qs = qs.filter(person_id=scope.person)
    return qs


def _fact_breakdown(scope: Scope, period: Period, by: str) -> dict[str, Counter]:
    column = FACT_GROUP[by]
    rows = facts_in(scope, period).exclude(**{f"{column}__isnull": True}).values(column).annotate(**SUMS)
    return {str(row[column]): _counter(row) for row in rows.order_by(column)}


# --- the events behind a figure -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drill:
    """Which facts a figure counts: a measure, in a scope and period, optionally one breakdown key."""

    measure: str
    by: str = ""
    key: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.measure not in MEASURE:
            raise InvalidInput(_("Unknown measure %(m)s.") % {"m": self.measure}, code="bad_measure", field="measure")
        if self.by and self.by not in BREAKDOWNS:
            raise InvalidInput(_("Unknown breakdown %(by)s.") % {"by": self.by}, code="bad_breakdown", field="by")


def drilled_facts(scope: Scope, period: Period, drill: Drill) -> QuerySet[Fact]:
    qs = facts_in(scope, period).filter(**{f"{drill.measure}__gt": 0})
    if drill.by:
        column = FACT_GROUP[drill.by]
        if drill.key == "" and column.endswith("_id"):
            qs = qs.filter(**{f"{column}__isnull": True})
        else:
            qs = qs.filter(**{column: drill.key})
    return qs


def events_behind(user: User, scope: Scope, period: Period, drill: Drill) -> QuerySet[Event]:
    """The events a figure counts, as the user may see them (every one, since the scope is theirs)."""
    ids = drilled_facts(scope, period, drill).filter(source=Source.EVENT).values("source_id")
    return events_for(user).filter(pk__in=ids).order_by("-reported_at", "-id")


def facts_behind(scope: Scope, period: Period, drill: Drill) -> QuerySet[Fact]:
    """A work figure's facts (collection items, corrections, visits, spot checks), newest first."""
    return drilled_facts(scope, period, drill).exclude(source=Source.EVENT).order_by("-day", "-id")


def visits_behind(user: User, scope: Scope, period: Period, drill: Drill) -> QuerySet:
    """The care visits a ``visits`` figure counts, through services' own scoping (``visits_for``), newest first."""
    from shequ.services.care.queries import visits_for

    ids = drilled_facts(scope, period, drill).filter(source=Source.VISIT).values("source_id")
    return visits_for(user).filter(pk__in=ids).select_related("subject__grid").order_by("-visited_at", "-id")


# --- problem spots and the newest events ------------------------------------------------------------------------


def _scoped_events(user: User, scope: Scope, period: Period) -> QuerySet[Event]:
    start, end = period.bounds()
    qs = events_for(user).filter(reported_at__gte=start, reported_at__lt=end)
    if scope.area:
        qs = qs.filter(area_code__startswith=scope.area)
    if scope.unit is not None:
        qs = qs.filter(unit_id=scope.unit)
    if scope.person is not None:
        qs = qs.filter(reporter_id=scope.person)
    return qs


@dataclass(frozen=True)
class Spot:
    x: int
    y: int
    count: int
    lon: float
    lat: float
    label: str
    categories: str


def top_spots(user: User, scope: Scope, period: Period, *, limit: int = 10) -> list[Spot]:
    """The places reported again and again: events grouped by a ~30 m cell, most first."""
    qs = _scoped_events(user, scope, period).filter(lon__isnull=False, lat__isnull=False)
    cells = (
        qs.annotate(x=Floor(F("lon") / SPOT_DEGREES), y=Floor(F("lat") / SPOT_DEGREES))
        .values("x", "y")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("-n", "x", "y")[:limit]
    )
    spots = []
    for cell in cells:
        x, y = int(cell["x"]), int(cell["y"])
        inside = spot_events(qs, x, y)
        addresses = Counter(a for a in inside.values_list("address", flat=True) if a)
        names = Counter(n for n in inside.values_list("category__name", flat=True) if n)
        label = addresses.most_common(1)[0][0] if addresses else f"{(x + 0.5) * SPOT_DEGREES:.4f}, "
        if not addresses:
            label += f"{(y + 0.5) * SPOT_DEGREES:.4f}"
        spots.append(
            Spot(
                x,
                y,
                cell["n"],
                (x + 0.5) * SPOT_DEGREES,
                (y + 0.5) * SPOT_DEGREES,
                label,
                "、".join(name for name, _n in names.most_common(3)),
            )
        )
    return spots


def spot_events(qs: QuerySet[Event], x: int, y: int) -> QuerySet[Event]:
    return qs.filter(
        lon__gte=x * SPOT_DEGREES,
        lon__lt=(x + 1) * SPOT_DEGREES,
        lat__gte=y * SPOT_DEGREES,
        lat__lt=(y + 1) * SPOT_DEGREES,
    )


def events_at_spot(user: User, scope: Scope, period: Period, x: int, y: int) -> QuerySet[Event]:
    return spot_events(_scoped_events(user, scope, period), x, y).order_by("-reported_at", "-id")


def overdue_events(user: User, scope: Scope, period: Period) -> QuerySet[Event]:
    """Events with a handling cycle that went overdue in the period (the report's overdue list)."""
    return events_behind(user, scope, period, Drill("cycles_overdue"))
