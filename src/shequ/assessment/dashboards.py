"""What the dashboards and the command-centre board show, as tables: each chart is a ``Chart`` (a title, column
names and rows), drawn by ECharts in the browser, shown as an accessible table under it and exported as CSV,
all from the same rows. Figures come from the rollups (``figures``); the heat map and problem spots from the
events the user may see.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time

from django.conf import settings
from django.db.models import Count, F, QuerySet
from django.db.models.functions import Floor
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shequ.access.models import User
from shequ.alerts.models import Alert
from shequ.alerts.queries import alerts_for
from shequ.core import clock
from shequ.events.models import OPEN_STATUSES, Event
from shequ.events.queries import events_for

from . import board_devices
from .figures import figures_for, labels, trend
from .indicators import INDICATOR, THREE_RATES
from .queries import Period, Scope, breakdown, top_spots

HEAT_DEGREES = 0.002  # a heat-map cell: about 200 m
HEAT_CELLS = 2000


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # how the page draws it: line, bar, pie, rates
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # targets, links

    def as_dict(self) -> dict:
        return {"key": self.key, "title": self.title, "kind": self.kind, "columns": self.columns, "rows": self.rows}

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return "\ufeff" + out.getvalue()  # the BOM lets Excel read the Chinese


def targets() -> dict[str, float]:
    found = {}
    for pair in settings.SHEQU_ASSESSMENT_TARGETS:
        code, _sep, value = pair.partition(":")
        found[code.strip()] = float(value)
    return found


def charts(user: User, scope: Scope, period: Period) -> list[Chart]:
    """Every chart of the dashboard for this scope and period."""
    by_day = Chart("trend", _("Reports and closures by day"), "line", [_("Day"), _("Reported"), _("Closed")])
    by_day.rows = [[d.isoformat(), reported, closed] for d, reported, closed in trend(scope, period)]

    cats = breakdown(scope, period, "category")
    names = labels("category", list(cats))
    by_category = Chart("categories", _("Categories"), "pie", [_("Category"), _("Reported")])
    counted = sorted(((names.get(code, code), int(c["reported"])) for code, c in cats.items() if c["reported"]))
    by_category.rows = [list(pair) for pair in sorted(counted, key=lambda pair: -pair[1])[:12]]

    chans = breakdown(scope, period, "channel")
    channel_names = labels("channel", list(chans))
    by_channel = Chart("channels", _("Channel mix"), "pie", [_("Channel"), _("Reported")])
    by_channel.rows = sorted(
        ([channel_names.get(k, k), int(c["reported"])] for k, c in chans.items() if c["reported"]),
        key=lambda row: -int(row[1]),
    )

    found = figures_for(scope, period)
    goal = targets()
    rates = Chart("rates", _("The three rates against target"), "rates", [_("Indicator"), _("Value"), _("Target")])
    for code in THREE_RATES:
        f = found.figure(code)
        rates.rows.append(
            [str(INDICATOR[code].name), None if f.value is None else round(f.value * 100, 1), goal.get(code, 0) * 100]
        )

    units = breakdown(scope, period, "unit")
    unit_names = labels("unit", list(units))
    overdue = Chart("overdue", _("Overdue by unit"), "bar", [_("Unit"), _("Overdue cycles"), _("Handling cycles")])
    late = [
        (unit_names.get(k, k), int(c["cycles_overdue"]), int(c["cycles"]))
        for k, c in units.items()
        if c["cycles"] and k
    ]
    overdue.rows = [list(row) for row in sorted(late, key=lambda row: (-row[1], row[0]))[:15]]

    spots = Chart(
        "spots",
        _("Top 10 problem spots"),
        "table",
        [pgettext("assessment", "Place"), pgettext("assessment", "Reports"), _("Categories")],
    )
    for spot in top_spots(user, scope, period):
        spots.rows.append([spot.label, spot.count, spot.categories])
        spots.extra.setdefault("points", []).append([spot.lat, spot.lon, spot.count, spot.x, spot.y])
    return [by_day, by_category, by_channel, rates, overdue, spots]


def heat(user: User, scope: Scope, period: Period) -> list[list[float]]:
    """[lat, lon, count] per ~200 m cell of the events reported in the period (the heat map's layer)."""
    start, end = period.bounds()
    qs = events_for(user).filter(reported_at__gte=start, reported_at__lt=end, lon__isnull=False, lat__isnull=False)
    if scope.area:
        qs = qs.filter(area_code__startswith=scope.area)
    if scope.unit is not None:
        qs = qs.filter(unit_id=scope.unit)
    cells = (
        qs.annotate(x=Floor(F("lon") / HEAT_DEGREES), y=Floor(F("lat") / HEAT_DEGREES))
        .values("x", "y")
        .annotate(n=Count("id"))
        .order_by("-n")[:HEAT_CELLS]
    )
    return [[round((c["y"] + 0.5) * HEAT_DEGREES, 5), round((c["x"] + 0.5) * HEAT_DEGREES, 5), c["n"]] for c in cells]


# --- the command-centre board ---------------------------------------------------------------------------------


def _today() -> Period:
    return Period.last_days(1)


def board(user: User, scope: Scope) -> dict:
    """Today's figures, the newest events, the alerts in force, the open events on the map and the devices."""
    today = _today()
    found = figures_for(scope, today)
    month = figures_for(scope, Period.last_days(30))
    events = _events(user, scope)
    now = clock.now()
    start = datetime.combine(timezone.localdate(now), time.min, timezone.get_current_timezone())
    open_events = events.filter(status__in=OPEN_STATUSES)
    status_counts = Counter(dict(open_events.values_list("status").annotate(n=Count("id")).values_list("status", "n")))
    newest = events.select_related("category").order_by("-reported_at", "-id")[: settings.SHEQU_BOARD_EVENTS]
    in_force = alerts_for(user).filter(pk__in=Alert.objects.current().values("pk")).order_by("-sent", "-id")[:8]
    return {
        "now": timezone.localtime(now).strftime("%Y-%m-%d %H:%M:%S"),
        "scope": scope.label,
        "today": {
            "reported": events.filter(reported_at__gte=start).count(),
            "closed": found.totals.get("closed", 0),
            "open": sum(status_counts.values()),
            "overdue": open_events.filter(overdue=True).count(),
        },
        "rates": [
            {
                "code": code,
                "name": str(INDICATOR[code].name),
                "value": month.figure(code).value,
                "target": targets().get(code),
            }
            for code in THREE_RATES
        ],
        "events": [
            {
                "code": e.code,
                "category": e.category.name if e.category else "",
                "status": str(e.get_status_display()),
                "overdue": e.overdue,
                "at": timezone.localtime(e.reported_at).strftime("%H:%M"),
                "lon": e.lon,
                "lat": e.lat,
            }
            for e in newest
        ],
        "points": [
            [lat, lon, overdue]
            for lon, lat, overdue in open_events.filter(lon__isnull=False).values_list("lon", "lat", "overdue")[:2000]
        ],
        "alerts": [{"headline": a.headline, "severity": a.severity, "area": a.area_desc} for a in in_force],
        "devices": board_devices.panel(user, scope),
    }


def _events(user: User, scope: Scope) -> QuerySet[Event]:
    qs = events_for(user)
    if scope.area:
        qs = qs.filter(area_code__startswith=scope.area)
    if scope.unit is not None:
        qs = qs.filter(unit_id=scope.unit)
    return qs


def since(user: User, scope: Scope, after: int) -> list[str]:
    """Codes of the user's events with a timeline row after ``after`` (the live stream's question)."""
    from shequ.events.models import TimelineEntry

    rows = TimelineEntry.objects.filter(pk__gt=after, event__in=_events(user, scope)).values_list("event__code")
    return sorted({code for (code,) in rows[:200]})
