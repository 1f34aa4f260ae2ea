"""Importing a GTFS feed (stops, routes, trips, stop_times), all or nothing.

The feed is a zip (or the four files by name). Every file, column, row and reference is checked first; any
problem refuses the whole feed with every problem named (file, line, what), and nothing is written. A good feed
replaces the feed of the same name in one transaction, so residents see the old lines until the new ones are in.
Other GTFS files (agency, calendar, shapes ...) are ignored: the portal shows stops and the lines calling there.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput

from .models import Feed, Route, Stop, StopRoute, StopTime, Trip

FILES = {
    "stops.txt": ("stop_id", "stop_name", "stop_lat", "stop_lon"),
    "routes.txt": ("route_id", "route_type"),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
}
SHOWN_PROBLEMS = 50
BATCH = 5000
_TIME = re.compile(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int  # 0: the file as a whole
    message: str

    def __str__(self) -> str:
        if self.line:
            return _("%(file)s line %(line)s: %(message)s") % {
                "file": self.file,
                "line": self.line,
                "message": self.message,
            }
        return f"{self.file}: {self.message}"


class FeedRefused(InvalidInput):
    code = "gtfs_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "；".join(str(p) for p in problems[:3])
        more = len(problems) - 3
        message = _("The GTFS feed was not imported (nothing was changed): %(problems)s") % {"problems": shown}
        if more > 0:
            message += _(" … and %(n)s more problems.") % {"n": more}
        super().__init__(message, field="file")


@dataclass
class Parsed:
    stops: dict[str, tuple[str, float, float]] = field(default_factory=dict)
    routes: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    trips: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    stop_times: list[tuple[str, str, int, int | None, int | None]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message))


def files_from_zip(data: bytes) -> dict[str, bytes]:
    if len(data) > settings.SHEQU_IMPORT_MAX_BYTES:
        raise FeedRefused([Problem(_("the file"), 0, _("it is larger than the import limit"))])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            out = {}
            for info in archive.infolist():
                name = info.filename.rsplit("/", 1)[-1]
                if name in FILES and not info.is_dir():
                    out[name] = archive.read(info)
            return out
    except zipfile.BadZipFile as e:
        raise FeedRefused([Problem(_("the file"), 0, _("it is not a zip archive of GTFS files"))]) from e


def _rows(name: str, data: bytes | None, parsed: Parsed) -> Iterator[tuple[int, dict[str, str]]]:
    if data is None:
        parsed.problem(name, 0, _("the file is missing"))
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        parsed.problem(name, 0, _("the file is not UTF-8 text"))
        return
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in FILES[name] if c not in columns]
    if missing:
        parsed.problem(name, 1, _("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
        return
    reader.fieldnames = columns
    try:
        for row in reader:
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k is not None}
    except csv.Error as e:
        parsed.problem(name, reader.line_num, _("unreadable CSV (%(error)s)") % {"error": e})


def _float(value: str, low: float, high: float) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if low <= number <= high else None


def _seconds(value: str) -> int | None:
    match = _TIME.match(value)
    if not match:
        raise ValueError(value)
    h, m, s = (int(g) for g in match.groups())
    return h * 3600 + m * 60 + s


def parse(files: Mapping[str, bytes]) -> Parsed:
    """Read and check the four files; ``problems`` lists everything wrong."""
    p = Parsed()
    for line, row in _rows("stops.txt", files.get("stops.txt"), p):
        sid, lat, lon = row["stop_id"], _float(row["stop_lat"], -90, 90), _float(row["stop_lon"], -180, 180)
        if not sid:
            p.problem("stops.txt", line, _("stop_id is empty"))
        elif sid in p.stops:
            p.problem("stops.txt", line, _("stop_id %(id)s appears twice") % {"id": sid})
        elif lat is None or lon is None:
            p.problem("stops.txt", line, _("stop_lat/stop_lon are not a valid position"))
        elif not row["stop_name"]:
            p.problem("stops.txt", line, _("stop_name is empty"))
        else:
            p.stops[sid] = (row["stop_name"][:100], lat, lon)
    for line, row in _rows("routes.txt", files.get("routes.txt"), p):
        rid, short, long = row["route_id"], row.get("route_short_name", ""), row.get("route_long_name", "")
        if not rid or rid in p.routes:
            p.problem("routes.txt", line, _("route_id is empty or appears twice"))
        elif not (short or long):
            p.problem("routes.txt", line, _("a route needs route_short_name or route_long_name"))
        elif not row["route_type"].isdigit():
            p.problem("routes.txt", line, _("route_type is not a number"))
        else:
            p.routes[rid] = (short[:50], long[:200], int(row["route_type"]))
    for line, row in _rows("trips.txt", files.get("trips.txt"), p):
        tid = row["trip_id"]
        if not tid or tid in p.trips:
            p.problem("trips.txt", line, _("trip_id is empty or appears twice"))
        elif row["route_id"] not in p.routes:
            p.problem("trips.txt", line, _("route_id %(id)s is not in routes.txt") % {"id": row["route_id"]})
        elif not row["service_id"]:
            p.problem("trips.txt", line, _("service_id is empty"))
        else:
            p.trips[tid] = (row["route_id"], row["service_id"][:64], row.get("trip_headsign", "")[:100])
    seen: set[tuple[str, int]] = set()
    per_trip: dict[str, int] = {}
    for line, row in _rows("stop_times.txt", files.get("stop_times.txt"), p):
        tid, sid = row["trip_id"], row["stop_id"]
        try:
            arrival = _seconds(row["arrival_time"]) if row["arrival_time"] else None
            departure = _seconds(row["departure_time"]) if row["departure_time"] else None
        except ValueError:
            p.problem("stop_times.txt", line, _("times must be HH:MM:SS"))
            continue
        if tid not in p.trips:
            p.problem("stop_times.txt", line, _("trip_id %(id)s is not in trips.txt") % {"id": tid})
        elif sid not in p.stops:
            p.problem("stop_times.txt", line, _("stop_id %(id)s is not in stops.txt") % {"id": sid})
        elif not row["stop_sequence"].isdigit():
            p.problem("stop_times.txt", line, _("stop_sequence is not a whole number"))
        elif (tid, int(row["stop_sequence"])) in seen:
            p.problem("stop_times.txt", line, _("stop_sequence repeats within trip %(id)s") % {"id": tid})
        else:
            sequence = int(row["stop_sequence"])
            seen.add((tid, sequence))
            per_trip[tid] = per_trip.get(tid, 0) + 1
            p.stop_times.append((tid, sid, sequence, arrival, departure))
    if not p.problems:
        for tid in p.trips:
            if per_trip.get(tid, 0) < 2:
                p.problem("trips.txt", 0, _("trip %(id)s calls at fewer than two stops") % {"id": tid})
        if not p.stops:
            p.problem("stops.txt", 0, _("the file has no stops"))
    return p


@transaction.atomic
def _write(name: str, parsed: Parsed, by: User | None) -> Feed:
    Feed.objects.filter(name=name).delete()
    feed = Feed.objects.create(
        name=name,
        imported_at=clock.now(),
        imported_by=by,
        stops=len(parsed.stops),
        routes=len(parsed.routes),
        trips=len(parsed.trips),
        stop_times=len(parsed.stop_times),
    )
    stops = Stop.objects.bulk_create(
        [Stop(feed=feed, stop_id=k, name=n, lat=lat, lon=lon) for k, (n, lat, lon) in parsed.stops.items()],
        batch_size=BATCH,
    )
    stop_pk = {s.stop_id: s.pk for s in stops}
    routes = Route.objects.bulk_create(
        [Route(feed=feed, route_id=k, short_name=s, long_name=n, type=t) for k, (s, n, t) in parsed.routes.items()],
        batch_size=BATCH,
    )
    route_pk = {r.route_id: r.pk for r in routes}
    trips = Trip.objects.bulk_create(
        [
            Trip(feed=feed, trip_id=k, route_id=route_pk[r], service_id=s, headsign=h)
            for k, (r, s, h) in parsed.trips.items()
        ],
        batch_size=BATCH,
    )
    trip_pk = {t.trip_id: t.pk for t in trips}
    StopTime.objects.bulk_create(
        (
            StopTime(trip_id=trip_pk[t], stop_id=stop_pk[s], sequence=q, arrival=a, departure=d)
            for t, s, q, a, d in parsed.stop_times
        ),
        batch_size=BATCH,
    )
    calls: dict[tuple[int, int], list[str]] = {}
    for t, s, _q, _a, _d in parsed.stop_times:
        route, _service, headsign = parsed.trips[t]
        signs = calls.setdefault((stop_pk[s], route_pk[route]), [])
        if headsign and headsign not in signs and len(signs) < 3:
            signs.append(headsign)
    StopRoute.objects.bulk_create(
        [StopRoute(stop_id=s, route_id=r, headsigns=" / ".join(h)[:200]) for (s, r), h in calls.items()],
        batch_size=BATCH,
    )
    return feed


def import_feed(files: Mapping[str, bytes], *, name: str, by: User | None) -> Feed:
    """Check everything, then write everything (see the module's rules). Raises ``FeedRefused``."""
    name = (name or "").strip()[:60]
    if not name:
        raise InvalidInput(_("Give the feed a name."), code="name_required", field="name")
    parsed = parse(files)
    if parsed.problems:
        raise FeedRefused(parsed.problems)
    return _write(name, parsed, by)
