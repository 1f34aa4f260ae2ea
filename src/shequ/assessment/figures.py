"""The figures a page, the API, a report and a dashboard show: indicator values for a scope and period, by
breakdown, each with the link to the events behind it. One place, so the four never disagree.

``figures_for`` is what the API returns and the pages render; ``behind_query`` is the query string of the list of
events (or work records) a figure counts: ``/assessment/events/?<query>`` and ``/api/assessment/events?<query>``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from shequ.access.models import Unit, User
from shequ.core.errors import InvalidInput
from shequ.events.models import Category, Channel
from shequ.geo.models import Region

from .indicators import INDICATORS, MEASURE, Indicator, Kind
from .queries import Period, Scope, breakdown, totals

DEFAULT_DAYS = 30


def parse_period(start: date | None, end: date | None) -> Period:
    """The period asked for; the last 30 days when neither end is given."""
    if start is None and end is None:
        return Period.last_days(DEFAULT_DAYS)
    if start is None or end is None:
        raise InvalidInput(_("Give both the start and the end of the period."), code="bad_period", field="start")
    return Period(start, end)


def behind_query(scope: Scope, period: Period, measure: str, *, by: str = "", key: str = "") -> str:
    params = {**scope.query(), "start": period.start.isoformat(), "end": period.end.isoformat(), "measure": measure}
    if by:
        params.update(by=by, key=key)
    return urlencode({k: v for k, v in params.items() if v != "" or k == "key"})


def behind_url(query: str) -> str:
    """The page listing what a figure counts: the events (or work facts), or the measure's own records (visits)."""
    measure = MEASURE.get(parse_qs(query).get("measure", [""])[0])
    return reverse(measure.records if measure and measure.records else "assessment:behind") + "?" + query


@dataclass
class Figure:
    """One indicator's value with its parts and where to check them."""

    code: str
    name: str
    kind: str
    value: float | None
    numerator: int
    denominator: int | None
    formula: str
    numerator_query: str
    denominator_query: str | None

    @property
    def numerator_url(self) -> str:
        return behind_url(self.numerator_query)

    @property
    def denominator_url(self) -> str | None:
        return behind_url(self.denominator_query) if self.denominator_query is not None else None

    @property
    def shown(self) -> str:
        if self.value is None:
            return "—"
        if self.kind == Kind.RATE:
            return f"{self.value * 100:.1f}%"
        if self.kind == Kind.AVERAGE:
            return f"{self.value:.1f}"
        return f"{self.value:.0f}"


def figure(indicator: Indicator, sums: Counter, scope: Scope, period: Period, *, by: str = "", key: str = "") -> Figure:
    rated = indicator.kind != Kind.COUNT
    return Figure(
        code=indicator.code,
        name=str(indicator.name),
        kind=indicator.kind.value,
        value=indicator.value(sums),
        numerator=int(sums.get(indicator.numerator, 0)),
        denominator=int(sums.get(indicator.denominator, 0)) if rated else None,
        formula=indicator.formula(),
        numerator_query=behind_query(scope, period, indicator.numerator, by=by, key=key),
        denominator_query=behind_query(scope, period, indicator.denominator, by=by, key=key) if rated else None,
    )


@dataclass
class Row:
    key: str
    label: str
    figures: list[Figure]


@dataclass
class Figures:
    scope: Scope
    period: Period
    totals: Counter
    figures: list[Figure]
    by: str = ""
    rows: list[Row] = field(default_factory=list)

    def figure(self, code: str) -> Figure:
        return next(f for f in self.figures if f.code == code)


def indicators_for(scope: Scope) -> tuple[Indicator, ...]:
    """A grid worker's own figures include all their work; an area shows the people's indicators marked
    ``in_areas`` (summed over its grid workers); a unit those of them counted from events (no visits)."""
    kind = "person" if scope.person is not None else "unit" if scope.unit is not None else "area"
    return tuple(i for i in INDICATORS if i.shown_in(kind))


def figures_for(scope: Scope, period: Period, *, by: str = "") -> Figures:
    sums = totals(scope, period)
    chosen = indicators_for(scope)
    found = Figures(scope, period, sums, [figure(i, sums, scope, period) for i in chosen], by=by)
    if by:
        parts = breakdown(scope, period, by)
        names = labels(by, list(parts))
        for key in sorted(parts, key=lambda k: (names.get(k, k), k)):
            found.rows.append(
                Row(key, names.get(key, key), [figure(i, parts[key], scope, period, by=by, key=key) for i in chosen])
            )
    return found


def labels(by: str, keys: list[str]) -> dict[str, str]:
    """Readable names of breakdown keys: regions, categories, channels, units, grid workers."""
    if by in ("community", "grid"):
        return dict(Region.objects.filter(code__in=keys).values_list("code", "name"))
    if by == "category":
        return dict(Category.objects.filter(code__in=keys).values_list("code", "name")) | (
            {"": _("Not categorised")} if "" in keys else {}
        )
    if by == "channel":
        return {k: str(Channel(k).label) if k in Channel.values else k for k in keys}
    ids = [int(k) for k in keys if k.isdigit()]
    if by == "unit":
        return {str(pk): name for pk, name in Unit.objects.filter(pk__in=ids).values_list("pk", "name")}
    if by == "person":
        rows = User.objects.filter(pk__in=ids).values_list("pk", "name", "username")
        return {str(pk): name or username for pk, name, username in rows}
    return {k: k for k in keys}


def trend(scope: Scope, period: Period) -> list[tuple[date, int, int]]:
    """(day, reported, closed) for every day of the period, zeros included (the dashboards' trend)."""
    by_day = breakdown(scope, period, "day")
    days, day = [], period.start
    while day <= period.end:
        sums = by_day.get(day.isoformat(), Counter())
        days.append((day, int(sums.get("reported", 0)), int(sums.get("closed", 0))))
        day += timedelta(days=1)
    return days
