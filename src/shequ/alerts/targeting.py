"""Who an alert reaches: its area through the geography to buildings, then through the base to dwellings,
residents, people who work there (where the base knows their employment), organisations and their contact points.

The area becomes one filter on buildings, built from at most three parts so the database does the rest:
region-code prefixes (regions), the grids wholly inside a polygon or circle (their ids), and, for grids the shape
only crosses, the ids of the buildings whose point falls inside (tested in Python with shapely, only for those
edge grids). Everything after that is a query set, so counting 1M residents is a few ``COUNT`` queries and the
delivery slice can ``INSERT ... SELECT`` its rows from the same sets.

A circle is measured on a local plane through its centre (equirectangular: exact enough at city scale); on that
plane a grid whose corners are all inside the circle is wholly inside it, since a disc is convex.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import shapely
from django.db.models import Q, QuerySet
from shapely.geometry import Polygon, shape

from shequ.geo.models import Building, Dwelling, Region, RegionLevel
from shequ.registry.models import Organization, Person
from shequ.registry.queries import current_employments, current_residences

EARTH_KM_PER_DEGREE = math.pi / 180 * 6371.0088
LEVEL_LENGTHS = (15, 12, 9, 6)


@dataclass(frozen=True)
class Shape:
    """A drawn area: a GeoJSON polygon, or a circle (lon, lat, radius in km)."""

    polygon: dict | None = None
    circle: tuple[float, float, float] | None = None

    def __bool__(self) -> bool:
        return self.polygon is not None or self.circle is not None


@dataclass(frozen=True)
class Area:
    """An alert's area: region codes and/or a shape (both: their intersection)."""

    codes: tuple[str, ...] = ()
    shape: Shape = Shape()

    @classmethod
    def of(cls, alert) -> Area:
        circle = (alert.circle_lon, alert.circle_lat, alert.circle_radius_km) if alert.has_circle else None
        codes = tuple(alert.regions.values_list("code", flat=True)) if alert.pk else ()
        return cls(codes=codes, shape=Shape(polygon=alert.polygon or None, circle=circle))


@dataclass(frozen=True)
class Counts:
    dwellings: int
    residents: int
    workers: int
    organizations: int
    contacts: int


# --- the shape against grids and buildings ---------------------------------------------------------


class _Plane:
    """Kilometres east and north of the circle's centre."""

    def __init__(self, lon: float, lat: float) -> None:
        self.lon, self.lat = lon, lat
        self.kx = EARTH_KM_PER_DEGREE * math.cos(math.radians(lat))

    def xy(self, lons, lats):
        return (lons - self.lon) * self.kx, (lats - self.lat) * EARTH_KM_PER_DEGREE


def _polygon(geometry: dict) -> Polygon:
    geom = shape(geometry)
    if not geom.is_valid:
        geom = geom.buffer(0)
    return geom


def _grid_relations(area_shape: Shape, grids: Iterable[tuple[int, Any]]) -> tuple[list[int], list[int]]:
    """(grids wholly inside the shape, grids the shape only crosses)."""
    inside, crossing = [], []
    if area_shape.polygon is not None:
        poly = _polygon(area_shape.polygon)
        shapely.prepare(poly)
        for grid_id, boundary in grids:
            geom = shape(boundary)
            if poly.covers(geom):
                inside.append(grid_id)
            elif poly.intersects(geom):
                crossing.append(grid_id)
    else:
        lon, lat, radius = area_shape.circle  # type: ignore[misc]
        plane = _Plane(lon, lat)
        for grid_id, boundary in grids:
            geom = shape(boundary)
            coords = shapely.get_coordinates(geom)
            xs, ys = plane.xy(coords[:, 0], coords[:, 1])
            if (xs * xs + ys * ys <= radius * radius).all():
                inside.append(grid_id)
                continue
            flat = shapely.transform(geom, lambda c, p=plane: _to_plane(c, p))
            if flat.distance(shapely.Point(0, 0)) <= radius:
                crossing.append(grid_id)
    return inside, crossing


def _to_plane(coords, plane: _Plane):
    out = coords.copy()
    out[:, 0], out[:, 1] = plane.xy(coords[:, 0], coords[:, 1])
    return out


def _buildings_in_shape(area_shape: Shape, candidates: QuerySet[Building]) -> list[int]:
    rows = list(candidates.values_list("id", "lon", "lat"))
    if not rows:
        return []
    import numpy as np

    ids = np.array([r[0] for r in rows])
    lons = np.array([r[1] for r in rows], dtype=float)
    lats = np.array([r[2] for r in rows], dtype=float)
    if area_shape.polygon is not None:
        # On the boundary counts as inside.
        mask = shapely.intersects_xy(_polygon(area_shape.polygon), lons, lats)
    else:
        lon, lat, radius = area_shape.circle  # type: ignore[misc]
        xs, ys = _Plane(lon, lat).xy(lons, lats)
        mask = xs * xs + ys * ys <= radius * radius
    return [int(i) for i in ids[mask]]


def _codes_q(codes: Iterable[str], path: str) -> Q:
    q = Q(pk__in=[])
    for code in codes:
        q |= Q(**{f"{path}code__startswith": code})
    return q


def building_filter(area: Area) -> Q:
    """A filter on ``Building`` selecting every building whose point is in the area."""
    grids = Region.objects.filter(level=RegionLevel.GRID, boundary__isnull=False)
    if area.codes:
        grids = grids.filter(_codes_q(area.codes, ""))
    if not area.shape:
        return _codes_q(area.codes, "grid__") if area.codes else Q(pk__in=[])
    inside, crossing = _grid_relations(area.shape, grids.values_list("id", "boundary"))
    edge = _buildings_in_shape(area.shape, Building.objects.filter(grid_id__in=crossing))
    return Q(grid_id__in=inside) | Q(pk__in=edge)


def grids_touched(area: Area) -> list[str]:
    """Codes of the grids the area reaches (for the area code and the coverage checks)."""
    grids = Region.objects.filter(level=RegionLevel.GRID)
    if area.codes:
        grids = grids.filter(_codes_q(area.codes, ""))
    if not area.shape:
        return list(grids.values_list("code", flat=True))
    rows = list(grids.filter(boundary__isnull=False).values_list("id", "code", "boundary"))
    inside, crossing = _grid_relations(area.shape, [(r[0], r[2]) for r in rows])
    hit = set(inside) | set(crossing)
    return [code for grid_id, code, _ in rows if grid_id in hit]


def common_code(codes: Iterable[str]) -> str:
    """The longest region code (at a level boundary) that every code starts with; "" if none."""
    codes = list(codes)
    if not codes:
        return ""
    for length in LEVEL_LENGTHS:
        prefix = codes[0][:length]
        if len(prefix) == length and all(c.startswith(prefix) for c in codes):
            return prefix
    return ""


# --- through the base -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The query sets an area resolves to. Lazy: nothing runs until counted or read."""

    buildings: QuerySet[Building]
    dwellings: QuerySet[Dwelling]
    residents: QuerySet[Person]
    workers: QuerySet[Person]  # work at an organisation in the area and do not live there
    organizations: QuerySet[Organization]

    def contact_phones(self) -> QuerySet:
        """Distinct phone numbers: residents', workers' and organisations' contacts."""
        people = self.residents.exclude(phone="").order_by().values_list("phone", flat=True)
        workers = self.workers.exclude(phone="").order_by().values_list("phone", flat=True)
        orgs = self.organizations.exclude(contact_phone="").order_by().values_list("contact_phone", flat=True)
        return people.union(workers, orgs)

    def counts(self) -> Counts:
        return Counts(
            dwellings=self.dwellings.count(),
            residents=self.residents.count(),
            workers=self.workers.count(),
            organizations=self.organizations.count(),
            contacts=self.contact_phones().count(),
        )


def resolve(area: Area) -> Target:
    buildings = Building.objects.filter(building_filter(area))
    building_ids = buildings.values("pk")
    dwellings = Dwelling.objects.filter(building_id__in=building_ids)
    living = current_residences().filter(dwelling__building_id__in=building_ids).values("person_id")
    residents = Person.objects.current().filter(pk__in=living)
    organizations = Organization.objects.filter(premises__building_id__in=building_ids)
    working = current_employments().filter(organization__in=organizations).values("person_id")
    workers = Person.objects.current().filter(pk__in=working).exclude(pk__in=living)
    return Target(
        buildings=buildings, dwellings=dwellings, residents=residents, workers=workers, organizations=organizations
    )
