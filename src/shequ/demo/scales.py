"""How big a demo district is: the lattice of grids and how full the buildings are."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BuildingKind:
    """One kind of building: how often it occurs and its size ranges (inclusive)."""

    name: str  # estate (小区住宅楼), village (城中村自建房), commercial (商业办公楼)
    weight: int
    floors: tuple[int, int]
    entrances: tuple[int, int]
    rooms_per_floor: tuple[int, int]


@dataclass(frozen=True)
class Scale:
    name: str
    streets: int
    communities: int
    columns: int  # grid cells west to east
    rows: int  # grid cells south to north
    cell_lon: float  # degrees per cell
    cell_lat: float
    buildings_per_grid: tuple[int, int]
    kinds: tuple[BuildingKind, ...]
    events: int  # default number of events to simulate
    # People stop at the first grid boundary past this many (None: every home gets its households); organisations
    # go only where people are. A full district's 800,000 homes would make 2.4 million people and 40 million
    # history rows, hours of loading for a demo.
    people_limit: int | None = None


SMALL_KINDS = (
    BuildingKind("village", 50, (3, 6), (1, 1), (1, 3)),
    BuildingKind("estate", 25, (6, 10), (1, 1), (2, 2)),
    BuildingKind("commercial", 25, (1, 3), (1, 1), (1, 4)),
)
FULL_KINDS = (
    BuildingKind("village", 45, (4, 8), (1, 1), (2, 3)),
    BuildingKind("estate", 30, (6, 14), (1, 2), (2, 3)),
    BuildingKind("commercial", 25, (2, 5), (1, 1), (2, 3)),
)

SCALES = {
    # For tests: the same machinery on a handful of grids.
    "tiny": Scale("tiny", 2, 3, 4, 3, 0.0025, 0.00225, (6, 10), SMALL_KINDS, 120),
    # The default demo: about 60 grids, 2,000 buildings, 20,000 dwellings (~250 m cells).
    "small": Scale("small", 2, 6, 10, 6, 0.0025, 0.00225, (27, 40), SMALL_KINDS, 1500),
    # A whole district (~80 km²): about 3,000 grids and a million dwellings (~160 m cells).
    "full": Scale("full", 10, 95, 60, 50, 0.0016, 0.00145, (14, 22), FULL_KINDS, 0, people_limit=200_000),
}

# The district's centre, about Futian in Shenzhen (WGS-84).
CENTRE_LON, CENTRE_LAT = 114.05, 22.54
