"""Region, building and dwelling writes: the tree's rules, each refusal leaving nothing behind."""

from __future__ import annotations

import pytest

from shequ.core.errors import InvalidInput
from shequ.geo import actions
from shequ.geo.coords import CRS, from_wgs84
from shequ.geo.models import Building, Dwelling, Region, RegionLevel
from tests.world import square

from .conftest import X, Y, snapshot

BOWTIE = {"type": "Polygon", "coordinates": [[[X, Y], [X + 0.01, Y + 0.01], [X + 0.01, Y], [X, Y + 0.01], [X, Y]]]}


def refused(error: str, fn, **kwargs) -> InvalidInput:
    before = snapshot()
    with pytest.raises(InvalidInput) as caught:
        fn(**kwargs)
    assert caught.value.code == error
    assert snapshot() == before
    return caught.value


def test_it_creates_regions_down_the_tree_with_their_centres(world) -> None:
    s3 = actions.create_region(
        code="440304003",
        name="南街道",
        level=RegionLevel.STREET,
        parent=world.district,
        boundary=square(X + 0.02, Y, X + 0.03, Y + 0.02),
    )
    c = actions.create_region(
        code="440304003001",
        name=" 四社区 ",
        level=RegionLevel.COMMUNITY,
        parent=s3,
        boundary=square(X + 0.02, Y, X + 0.03, Y + 0.01),
    )
    c.refresh_from_db()
    assert (c.name, c.level, c.parent, c.boundary) == (
        "四社区",
        "community",
        s3,
        square(X + 0.02, Y, X + 0.03, Y + 0.01),
    )
    assert (c.center_lon, c.center_lat) == (pytest.approx(X + 0.025), pytest.approx(Y + 0.005))
    assert c.full_name == "示范区 / 南街道 / 四社区"


@pytest.mark.parametrize(
    ("code", "level", "parent_attr", "error"),
    [
        ("44030400100", RegionLevel.COMMUNITY, "s1", "bad_code"),  # 11 digits
        ("44030400100a", RegionLevel.COMMUNITY, "s1", "bad_code"),
        ("440304002009", RegionLevel.COMMUNITY, "s1", "code_mismatch"),  # S2's prefix under S1
        ("440304001009", RegionLevel.COMMUNITY, "district", "bad_parent"),  # skips a level
        ("440304001009", RegionLevel.COMMUNITY, None, "bad_parent"),
        ("440305", RegionLevel.DISTRICT, "district", "bad_parent"),
        ("440304001001", RegionLevel.COMMUNITY, "s1", "code_taken"),
        ("440304001009", "village", "s1", "bad_level"),
    ],
)
def test_it_validates_region_codes(world, code, level, parent_attr, error) -> None:
    parent = getattr(world, parent_attr) if parent_attr else None
    refused(error, actions.create_region, code=code, name="新社区", level=level, parent=parent)


def test_it_refuses_a_self_intersecting_boundary_saying_where(world) -> None:
    world.s1.boundary = None
    world.s1.save()
    e = refused(
        "invalid_boundary",
        actions.create_region,
        code="440304001009",
        name="新社区",
        level=RegionLevel.COMMUNITY,
        parent=world.s1,
        boundary=BOWTIE,
    )
    assert e.message == "边界不是有效的多边形：边界线自相交（位于 114.055000, 22.545000 附近）。"


@pytest.mark.parametrize(
    "boundary",
    [
        {"type": "Point", "coordinates": [X, Y]},
        {"type": "Polygon", "coordinates": [[[X, Y], [X + 0.01, Y]]]},
        {"type": "Polygon", "coordinates": "nope"},
        {"type": "Polygon", "coordinates": []},
        square(200, 10, 201, 11),
        "POLYGON((0 0, 1 0, 1 1, 0 0))",
    ],
)
def test_it_refuses_boundaries_that_are_not_polygons(world, boundary) -> None:
    refused(
        "invalid_boundary",
        actions.create_region,
        code="440304001009",
        name="新社区",
        level=RegionLevel.COMMUNITY,
        parent=world.s1,
        boundary=boundary,
    )


def test_it_refuses_a_grid_reaching_outside_its_community(world) -> None:
    actions.update_region(world.g2, boundary=square(X + 0.005, Y, X + 0.008, Y + 0.01))
    refused(
        "outside_parent",
        actions.create_region,
        code="440304001001003",
        name="三号网格",
        level=RegionLevel.GRID,
        parent=world.c1,
        boundary=square(X + 0.008, Y, X + 0.011, Y + 0.01),
    )


def test_it_refuses_a_grid_overlapping_a_sibling(world) -> None:
    refused(
        "overlap",
        actions.create_region,
        code="440304001001003",
        name="三号网格",
        level=RegionLevel.GRID,
        parent=world.c1,
        boundary=square(X + 0.004, Y, X + 0.006, Y + 0.01),
    )
    with pytest.raises(InvalidInput) as caught:
        actions.update_region(world.g1, boundary=square(X, Y, X + 0.006, Y + 0.01))
    assert caught.value.code == "overlap"
    world.g1.refresh_from_db()
    assert world.g1.boundary == square(X, Y, X + 0.005, Y + 0.01)


def test_it_tolerates_a_sliver_below_the_tolerance(world) -> None:
    # 1e-6° (0.1 m) over a 1.1 km edge: about 110 m² ... beyond 50; 2e-7° is ~22 m², within it.
    grid = actions.update_region(world.g1, boundary=square(X, Y, X + 0.005 + 2e-7, Y + 0.01))
    assert grid.boundary == square(X, Y, X + 0.005 + 2e-7, Y + 0.01)


def test_it_renames_and_clears_a_boundary(world) -> None:
    actions.update_region(world.g1, name="一号网格", boundary=None)
    world.g1.refresh_from_db()
    assert (world.g1.name, world.g1.boundary, world.g1.center_lon) == ("一号网格", None, None)


def test_it_creates_a_building_inside_its_grid_and_on_its_edge(world) -> None:
    b = actions.create_building(grid=world.g1, name="1栋", address="示范路1号", lon=X + 0.001, lat=Y + 0.001, floors=6)
    edge = actions.create_building(grid=world.g1, name="2栋", address="示范路2号", lon=X + 0.005, lat=Y + 0.002)
    assert (b.grid, b.floors, edge.lon) == (world.g1, 6, X + 0.005)


def test_it_converts_a_phone_map_point_for_a_building(world) -> None:
    lon, lat = from_wgs84(X + 0.002, Y + 0.003, CRS.GCJ02)
    b = actions.create_building(grid=world.g1, name="3栋", address="示范路3号", lon=lon, lat=lat, crs="gcj02")
    assert b.lon == pytest.approx(X + 0.002, abs=1e-9)
    assert b.lat == pytest.approx(Y + 0.003, abs=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"lon": X + 0.007, "lat": Y + 0.001}, "outside_grid"),
        ({"lon": 181, "lat": Y}, "bad_coordinates"),
        ({"lon": float("nan"), "lat": Y}, "bad_coordinates"),
        ({"lon": X + 0.001, "lat": Y + 0.001, "crs": "cgcs2000"}, "bad_coordinates"),
        ({"lon": X + 0.001, "lat": Y + 0.001, "floors": 0}, "bad_floor"),
        ({"lon": X + 0.001, "lat": Y + 0.001, "name": " "}, "bad_name"),
    ],
)
def test_it_refuses_a_misplaced_or_malformed_building(world, kwargs, error) -> None:
    args = {"grid": world.g1, "name": "4栋", "address": "示范路4号", **kwargs}
    with pytest.raises(InvalidInput) as caught:
        actions.create_building(**args)
    assert caught.value.code == error
    assert Building.objects.count() == 0


def test_it_refuses_a_building_in_a_community(world) -> None:
    with pytest.raises(InvalidInput) as caught:
        actions.create_building(grid=world.c1, name="5栋", address="示范路5号", lon=X + 0.001, lat=Y + 0.001)
    assert caught.value.code == "bad_grid"
    assert Building.objects.count() == 0


def test_it_creates_dwellings_once_per_room(world) -> None:
    b = actions.create_building(grid=world.g1, name="1栋", address="示范路1号", lon=X + 0.001, lat=Y + 0.001, floors=6)
    d = actions.create_dwelling(building=b, entrance="1", floor=3, room="301")
    actions.create_dwelling(building=b, entrance="2", floor=3, room="301", use=Dwelling.Use.SHOP)

    for kwargs, error in [
        ({"entrance": "1", "floor": 3, "room": "301"}, "dwelling_exists"),
        ({"floor": 7, "room": "701"}, "bad_floor"),
        ({"floor": 0, "room": "001"}, "bad_floor"),
        ({"floor": 1, "room": ""}, "bad_room"),
        ({"floor": 1, "room": "101", "use": "farm"}, "bad_use"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            actions.create_dwelling(building=b, **kwargs)
        assert caught.value.code == error
    assert list(Dwelling.objects.order_by("entrance").values_list("entrance", "room", "use")) == [
        ("1", "301", "home"),
        ("2", "301", "shop"),
    ]
    assert Dwelling.objects.filter(pk=d.pk).exists()
    assert str(d) == "示范路1号1单元301室"


def test_it_keeps_regions_unchanged_after_refused_edits(world) -> None:
    before = snapshot()
    with pytest.raises(InvalidInput):
        actions.update_region(world.g1, name="", boundary=BOWTIE)
    assert snapshot() == before
    assert Region.objects.get(pk=world.g1.pk).name == "一网格"
