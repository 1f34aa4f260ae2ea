"""Write the demo district's geography: regions (district, streets, communities,
grids with GeoJSON boundaries), buildings and their dwellings, in bulk."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import shapely
from django.utils.translation import gettext as _
from faker import Faker
from shapely.geometry import Polygon

from shequ.geo import index
from shequ.geo.models import Building, Dwelling, Region, RegionLevel

from . import names
from .lattice import Layout, build_layout, centre, geojson, union
from .scales import BuildingKind, Scale

DISTRICT_CODE = "440304"
_DWELLING_BATCH = 50_000

Progress = Callable[[str], None]


@dataclass
class GeographySummary:
    district: str
    streets: int = 0
    communities: int = 0
    grids: int = 0
    buildings: int = 0
    dwellings: int = 0


@dataclass
class _PlannedBuilding:
    grid_code: str
    name: str
    address: str
    lon: float
    lat: float
    kind: BuildingKind
    floors: int
    entrances: int
    rooms_per_floor: int
    shops_below: bool  # ground floor let as shops
    pk: int | None = field(default=None)

    @property
    def dwelling_count(self) -> int:
        return self.floors * self.entrances * self.rooms_per_floor


def build_geography(*, seed: int, scale: Scale, progress: Progress | None = None) -> GeographySummary:
    """Create the district from nothing (the caller checks it is not there yet).

    Everything comes from ``random.Random`` streams named after the seed, so the
    same seed and scale give the same codes, shapes, addresses and counts.
    """
    say = progress or (lambda _msg: None)
    rng = random.Random(f"{seed}:geography")
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    layout = build_layout(scale, rng)
    summary = GeographySummary(district=DISTRICT_CODE)
    grid_polygons = _write_regions(layout, rng, summary)
    say(
        _("Regions: %(streets)s streets, %(communities)s communities, %(grids)s grids")
        % {"streets": summary.streets, "communities": summary.communities, "grids": f"{summary.grids:,}"}
    )
    planned = _plan_buildings(layout, grid_polygons, rng, fake)
    grid_ids = dict(Region.objects.filter(level=RegionLevel.GRID).values_list("code", "id"))
    created = Building.objects.bulk_create(
        [
            Building(
                grid_id=grid_ids[b.grid_code],
                name=b.name,
                address=b.address,
                lon=b.lon,
                lat=b.lat,
                floors=b.floors,
            )
            for b in planned
        ],
        batch_size=2000,
    )
    for plan, building in zip(planned, created, strict=True):
        plan.pk = building.pk
    summary.buildings = len(created)
    say(_("Buildings: %(n)s") % {"n": f"{summary.buildings:,}"})
    total = sum(b.dwelling_count for b in planned)
    for batch in _batched(_dwellings(planned), _DWELLING_BATCH):
        Dwelling.objects.bulk_create(batch, batch_size=5000)
        summary.dwellings += len(batch)
        if total > _DWELLING_BATCH:
            say(_("Dwellings: %(done)s of %(total)s") % {"done": f"{summary.dwellings:,}", "total": f"{total:,}"})
    index.invalidate()
    return summary


def _write_regions(layout: Layout, rng: random.Random, summary: GeographySummary) -> dict[str, Polygon]:
    scale = layout.scale
    cells = [(i, j) for j in range(scale.rows) for i in range(scale.columns)]
    district_shape = union([layout.cell_polygon(c) for c in cells])
    district = _region(DISTRICT_CODE, names.DISTRICT_NAME, RegionLevel.DISTRICT, None, district_shape)
    district.save()
    street_names = [n + "街道" for n in names.STREET_NAMES[: scale.streets]]
    community_names = iter(names.distinct_names(rng, scale.communities, "社区"))
    streets, communities, grids = [], [], []
    grid_polygons: dict[str, Polygon] = {}
    pending_communities = []
    for s, street_area in enumerate(layout.streets):
        code = f"{DISTRICT_CODE}{s + 1:03d}"
        shape = union([layout.cell_polygon(c) for c in street_area.cells])
        streets.append(_region(code, street_names[s], RegionLevel.STREET, district, shape))
        for c, community_area in enumerate(layout.communities[s]):
            pending_communities.append((s, f"{code}{c + 1:03d}", next(community_names), community_area))
    Region.objects.bulk_create(streets)
    for s, code, name, area in pending_communities:
        shape = union([layout.cell_polygon(c) for c in area.cells])
        community = _region(code, name, RegionLevel.COMMUNITY, streets[s], shape)
        communities.append(community)
        for g, cell in enumerate(area.cells):
            polygon = layout.cell_polygon(cell)
            grid_code = f"{code}{g + 1:03d}"
            grid_polygons[grid_code] = polygon
            grids.append(_region(grid_code, f"{name}第{g + 1}网格", RegionLevel.GRID, community, polygon))
    Region.objects.bulk_create(communities)
    Region.objects.bulk_create(grids, batch_size=1000)
    summary.streets, summary.communities, summary.grids = len(streets), len(communities), len(grids)
    return grid_polygons


def _region(code: str, name: str, level: str, parent: Region | None, shape: Polygon) -> Region:
    lon, lat = centre(shape)
    return Region(
        code=code, name=name, level=level, parent=parent, boundary=geojson(shape), center_lon=lon, center_lat=lat
    )


def _plan_buildings(
    layout: Layout, grid_polygons: dict[str, Polygon], rng: random.Random, fake: Faker
) -> list[_PlannedBuilding]:
    scale = layout.scale
    road_roots = _distinct(fake.city_name, max(scale.rows, scale.columns) + 1)
    numbers: dict[str, int] = {}
    planned = []
    margin = 0.06 * min(scale.cell_lon, scale.cell_lat)  # keep buildings off the grid's edge
    kinds, weights = list(scale.kinds), [k.weight for k in scale.kinds]
    for code, polygon in grid_polygons.items():
        inner = polygon.buffer(-margin)
        shapely.prepare(inner)
        x0, y0, x1, y1 = inner.bounds
        # Each grid's buildings line two roads and belong to one estate, one village, one office block.
        roads = [road_roots[rng.randrange(scale.rows)] + "路", road_roots[rng.randrange(scale.columns)] + "街"]
        compounds = {
            "estate": names.estate_name(rng),
            "village": names.village_name(rng),
            "commercial": names.commercial_name(rng),
        }
        serial = {"estate": 0, "village": 0, "commercial": 0}
        for _n in range(rng.randint(*scale.buildings_per_grid)):
            kind = rng.choices(kinds, weights)[0]
            while True:
                lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
                if shapely.contains_xy(inner, lon, lat):
                    break
            serial[kind.name] += 1
            n = serial[kind.name]
            compound = compounds[kind.name]
            road = rng.choice(roads)
            numbers[road] = numbers.get(road, 0) + rng.randint(1, 3)
            if kind.name == "village":
                name = f"{compound}{(n - 1) // 6 + 1}巷{(n - 1) % 6 + 1}号"
                address = name
            elif kind.name == "estate":
                name = f"{compound}{n}栋"
                address = f"{road}{numbers[road]}号{name}"
            else:
                name = f"{compound}{chr(ord('A') + (n - 1) % 26)}座"
                address = f"{road}{numbers[road]}号{name}"
            planned.append(
                _PlannedBuilding(
                    grid_code=code,
                    name=name,
                    address=address,
                    lon=round(lon, 7),
                    lat=round(lat, 7),
                    kind=kind,
                    floors=rng.randint(*kind.floors),
                    entrances=rng.randint(*kind.entrances),
                    rooms_per_floor=rng.randint(*kind.rooms_per_floor),
                    shops_below=kind.name == "village" and rng.random() < 0.4,
                )
            )
    return planned


def _dwellings(planned: list[_PlannedBuilding]) -> Iterator[Dwelling]:
    for b in planned:
        for e in range(1, b.entrances + 1):
            entrance = str(e) if b.entrances > 1 else ""
            for floor in range(1, b.floors + 1):
                if b.kind.name == "commercial":
                    use = Dwelling.Use.SHOP if floor == 1 else Dwelling.Use.OFFICE
                elif floor == 1 and b.shops_below:
                    use = Dwelling.Use.SHOP
                else:
                    use = Dwelling.Use.HOME
                for r in range(1, b.rooms_per_floor + 1):
                    yield Dwelling(building_id=b.pk, entrance=entrance, floor=floor, room=f"{floor}{r:02d}", use=use)


def _batched(items: Iterator[Dwelling], size: int) -> Iterator[list[Dwelling]]:
    batch: list[Dwelling] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _distinct(make: Callable[[], str], count: int) -> list[str]:
    """``count`` different values from a Faker provider (it repeats itself)."""
    seen: list[str] = []
    for _attempt in range(count * 50):
        value = make()
        if value not in seen:
            seen.append(value)
            if len(seen) == count:
                return seen
    # Fewer distinct values than asked: number the repeats (长沙二路).
    return [seen[k % len(seen)] + ("" if k < len(seen) else "二三四五"[k // len(seen) - 1]) for k in range(count)]
