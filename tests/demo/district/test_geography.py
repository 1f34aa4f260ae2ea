from __future__ import annotations

import itertools

import shapely
from shapely.geometry import Point, shape

from shequ.demo.scales import SCALES
from shequ.geo.index import locate
from shequ.geo.models import Building, Dwelling, Region, RegionLevel


def shapes(level: str) -> dict[str, shapely.Geometry]:
    return {r.code: shape(r.boundary) for r in Region.objects.filter(level=level)}


def test_it_builds_the_tiny_district_to_scale(demo_db):
    scale = SCALES["tiny"]
    counts = {level: Region.objects.filter(level=level).count() for level in RegionLevel.values}
    assert counts == {"district": 1, "street": 2, "community": 3, "grid": scale.columns * scale.rows}
    district = Region.objects.get(level=RegionLevel.DISTRICT)
    assert (district.code, district.name) == ("440304", "福田示范区")
    assert abs(district.center_lon - 114.05) < 0.01 and abs(district.center_lat - 22.54) < 0.01
    assert demo_db.geography.buildings == Building.objects.count() > 0
    assert demo_db.geography.dwellings == Dwelling.objects.count() > demo_db.geography.buildings


def test_it_nests_codes_and_parents(demo_db):
    for region in Region.objects.exclude(level=RegionLevel.DISTRICT).select_related("parent"):
        assert region.code.startswith(region.parent.code)
        assert len(region.code) == len(region.parent.code) + 3
        assert region.boundary["type"] == "Polygon"
        assert shape(region.boundary).contains(Point(region.center_lon, region.center_lat))


def test_it_tiles_every_area_with_the_areas_below_it_exactly(demo_db):
    grids, communities = shapes(RegionLevel.GRID), shapes(RegionLevel.COMMUNITY)
    streets, district = shapes(RegionLevel.STREET), shapes(RegionLevel.DISTRICT)
    for children, parents in ((grids, communities), (communities, streets), (streets, district)):
        for code, parent in parents.items():
            mine = [g for c, g in children.items() if c.startswith(code)]
            assert mine
            assert shapely.union_all(mine).symmetric_difference(parent).area < 1e-12
        for a, b in itertools.combinations(list(children.values()), 2):
            assert a.intersection(b).area < 1e-12


def test_it_places_every_building_inside_its_grid_where_locate_finds_it(demo_db):
    grids = shapes(RegionLevel.GRID)
    for building in Building.objects.select_related("grid"):
        assert grids[building.grid.code].contains(Point(building.lon, building.lat))
        found = locate(building.lon, building.lat)
        assert found is not None and found.grid_code == building.grid.code
