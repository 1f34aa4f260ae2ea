"""Pure geometry of the demo district: a jittered lattice whose cells are the grids,
partitioned into connected streets and communities. No database here, so the
layout is easy to check and exactly repeatable from a seed.

Each lattice vertex is jittered once and shared by the (up to) four cells that
meet there, so neighbouring grids share their edges exactly and the grids tile
the district with no gap and no overlap. Streets and communities are grown
cell by cell from seeds (edge-adjacent growth keeps each one connected, so its
union is a single polygon).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import shapely
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient

from .scales import CENTRE_LAT, CENTRE_LON, Scale

Cell = tuple[int, int]  # (column, row), row 0 in the south

_JITTER = 0.25  # of a cell's size: small enough that every cell stays a simple quadrilateral


@dataclass
class Area:
    """A street or community: the cells it is made of and its seed (for ordering)."""

    cells: list[Cell]
    seed: Cell


@dataclass
class Layout:
    scale: Scale
    vertices: dict[Cell, tuple[float, float]]
    streets: list[Area]
    communities: list[list[Area]]  # per street, in code order

    def cell_polygon(self, cell: Cell) -> Polygon:
        i, j = cell
        v = self.vertices
        return Polygon([v[i, j], v[i + 1, j], v[i + 1, j + 1], v[i, j + 1]])


def build_layout(scale: Scale, rng: random.Random) -> Layout:
    vertices = _vertices(scale, rng)
    all_cells = [(i, j) for j in range(scale.rows) for i in range(scale.columns)]
    streets = _grow(all_cells, scale.streets, rng)
    sizes = _shares(scale.communities, [len(s.cells) for s in streets])
    communities = [_grow(street.cells, n, rng) for street, n in zip(streets, sizes, strict=True)]
    return Layout(scale, vertices, streets, communities)


def _vertices(scale: Scale, rng: random.Random) -> dict[Cell, tuple[float, float]]:
    x0 = CENTRE_LON - scale.columns * scale.cell_lon / 2
    y0 = CENTRE_LAT - scale.rows * scale.cell_lat / 2
    vertices = {}
    for j in range(scale.rows + 1):
        for i in range(scale.columns + 1):
            # Interior vertices move freely; those on the district's edge only along it.
            dx = rng.uniform(-_JITTER, _JITTER) if 0 < i < scale.columns else 0.0
            dy = rng.uniform(-_JITTER, _JITTER) if 0 < j < scale.rows else 0.0
            lon = round(x0 + (i + dx) * scale.cell_lon, 7)
            lat = round(y0 + (j + dy) * scale.cell_lat, 7)
            vertices[i, j] = (lon, lat)
    return vertices


def _shares(total: int, sizes: list[int]) -> list[int]:
    """``total`` split in proportion to ``sizes``, at least one each (largest remainders)."""
    whole = sum(sizes)
    exact = [total * s / whole for s in sizes]
    shares = [max(1, int(e)) for e in exact]
    by_remainder = sorted(range(len(sizes)), key=lambda k: exact[k] - int(exact[k]), reverse=True)
    for k in by_remainder[: total - sum(shares)]:
        shares[k] += 1
    return shares


def _grow(cells: list[Cell], count: int, rng: random.Random) -> list[Area]:
    """Split a connected set of cells into ``count`` connected, compact, balanced areas.

    Seeds are spread by farthest-point sampling; then the smallest area that can
    still grow takes the free neighbouring cell nearest its seed.
    """
    free = set(cells)
    ordered = sorted(cells)
    seeds = [ordered[rng.randrange(len(ordered))]]
    while len(seeds) < count:
        seeds.append(max(ordered, key=lambda c: (min(_dist2(c, s) for s in seeds), rng.random())))
    areas = [Area([s], s) for s in seeds]
    free -= set(seeds)
    frontiers = [{n for n in _neighbours(s) if n in free} for s in seeds]
    while free:
        k = min((k for k in range(count) if frontiers[k]), key=lambda k: (len(areas[k].cells), k))
        seed = areas[k].seed
        cell = min(sorted(frontiers[k]), key=lambda c: _dist2(c, seed) + rng.random() * 0.5)
        areas[k].cells.append(cell)
        free.discard(cell)
        for frontier in frontiers:
            frontier.discard(cell)
        frontiers[k].update(n for n in _neighbours(cell) if n in free)
    # Codes run from the north-west, as on a map.
    areas.sort(key=lambda a: (-a.seed[1], a.seed[0]))
    for area in areas:
        area.cells.sort(key=lambda c: (-c[1], c[0]))
    return areas


def _neighbours(cell: Cell) -> tuple[Cell, ...]:
    i, j = cell
    return ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1))


def _dist2(a: Cell, b: Cell) -> float:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2


def union(polygons: list[Polygon]) -> Polygon:
    merged = shapely.union_all(polygons)
    if merged.geom_type != "Polygon":  # cannot happen for edge-connected cells; fail loudly if it does
        raise ValueError(f"area is not one polygon but a {merged.geom_type}")
    return orient(merged, 1.0)


def geojson(polygon: Polygon) -> dict:
    """A GeoJSON Polygon, exterior ring counter-clockwise (RFC 7946)."""
    return json.loads(shapely.to_geojson(orient(polygon, 1.0)))


def centre(polygon: Polygon) -> tuple[float, float]:
    """The centroid, or a point surely inside when the shape is too concave for that."""
    point = polygon.centroid
    if not polygon.contains(point):
        point = polygon.point_on_surface()
    return round(point.x, 7), round(point.y, 7)
