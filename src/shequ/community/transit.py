"""Reading the imported bus network: the stops nearest a point, with the lines calling there.

Candidates come from an indexed box around the point (``stop_lat_lon``), then exact great-circle distances sort
them: a district's few thousand stops never load whole.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.conf import settings

from shequ.geo.models import Region

from .models import Route, Stop, StopRoute

EARTH_RADIUS_M = 6_371_000


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine distance in metres (WGS-84 as a sphere: ample for walking distances)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


@dataclass
class Line:
    route: Route
    headsigns: str


@dataclass
class NearbyStop:
    stop: Stop
    metres: int
    lines: list[Line] = field(default_factory=list)

    @property
    def walk_minutes(self) -> int:
        return max(1, round(self.metres / 80))  # about 80 m a minute


def _box(lon: float, lat: float, radius: float) -> dict[str, float]:
    dlat = radius / 111_320
    dlon = radius / (111_320 * max(0.1, math.cos(math.radians(lat))))
    return {"lat__gte": lat - dlat, "lat__lte": lat + dlat, "lon__gte": lon - dlon, "lon__lte": lon + dlon}


def _with_lines(stops: list[NearbyStop]) -> list[NearbyStop]:
    by_stop = {s.stop.pk: s for s in stops}
    rows = StopRoute.objects.filter(stop_id__in=by_stop).select_related("route").order_by("route__short_name")
    for row in rows:
        by_stop[row.stop_id].lines.append(Line(row.route, row.headsigns))
    return stops


def nearest_stops(lon: float, lat: float, *, radius: int | None = None, limit: int | None = None) -> list[NearbyStop]:
    """The stops within ``radius`` metres, nearest first, at most ``limit``, each with its lines."""
    radius = radius or settings.SHEQU_STOPS_RADIUS_METRES
    limit = limit or settings.SHEQU_STOPS_NEAREST
    found = []
    for stop in Stop.objects.filter(**_box(lon, lat, radius)):
        metres = distance_m(lon, lat, stop.lon, stop.lat)
        if metres <= radius:
            found.append(NearbyStop(stop, round(metres)))
    found.sort(key=lambda s: (s.metres, s.stop.name, s.stop.pk))
    return _with_lines(found[:limit])


def community_stops(community: Region, *, limit: int = 30) -> list[NearbyStop]:
    """Stops near a community: within the radius of its centre (or of its boundary's middle), nearest first."""
    lon, lat = community.center_lon, community.center_lat
    if (lon is None or lat is None) and community.boundary:
        ring = community.boundary["coordinates"][0]
        lon = sum(p[0] for p in ring) / len(ring)
        lat = sum(p[1] for p in ring) / len(ring)
    if lon is None or lat is None:
        return []
    return nearest_stops(lon, lat, radius=max(settings.SHEQU_STOPS_RADIUS_METRES, 1000), limit=limit)
