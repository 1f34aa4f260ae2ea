"""The point-in-grid index agrees with a brute-force scan and follows edits at once."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, shape

from shequ.geo import actions, index
from shequ.geo.index import locate
from shequ.geo.models import Region, RegionLevel
from tests.world import square

from .conftest import X, Y

# Points over the district and a margin around it, with extra weight on the grid edges and corners.
edges_x = [X + k * 0.0025 for k in range(-1, 14)]
edges_y = [Y + k * 0.0025 for k in range(-1, 10)]
lon = st.one_of(st.floats(min_value=X - 0.005, max_value=X + 0.035), st.sampled_from(edges_x))
lat = st.one_of(st.floats(min_value=Y - 0.005, max_value=Y + 0.025), st.sampled_from(edges_y))


def brute_force(lon: float, lat: float) -> str | None:
    p = Point(lon, lat)
    hits = [
        r.code
        for r in Region.objects.filter(level=RegionLevel.GRID, boundary__isnull=False)
        if shape(r.boundary).intersects(p)
    ]
    return min(hits) if hits else None


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, max_examples=300)
@given(lon, lat)
def test_it_agrees_with_a_brute_force_scan(world, lon: float, lat: float) -> None:
    found = locate(lon, lat)
    assert (found.grid_code if found else None) == brute_force(lon, lat)


def test_it_names_the_regions_above_the_grid(world) -> None:
    found = locate(*world.point_in(world.g2))
    assert found == index.Located(world.g2.pk, world.g2.code, world.c1.pk, world.s1.pk, world.district.pk)


def test_it_resolves_points_on_a_shared_edge_to_the_lowest_code(world) -> None:
    assert locate(X + 0.005, Y + 0.005).grid_code == world.g1.code  # G1 | G2
    assert locate(X + 0.01, Y + 0.005).grid_code == world.g2.code  # G2 | G4, across communities
    assert locate(X + 0.005, Y + 0.01).grid_code == world.g1.code  # corner of G1, G2 and G3's edge
    assert locate(X + 0.0075, Y + 0.01).grid_code == world.g2.code  # G2 | G3, across streets
    for _ in range(3):
        assert locate(X + 0.005, Y + 0.005).grid_code == world.g1.code


def test_it_follows_a_grid_boundary_edit_in_the_same_process(world) -> None:
    assert locate(X + 0.009, Y + 0.005).grid_code == world.g2.code

    actions.update_region(world.g2, boundary=square(X + 0.005, Y, X + 0.008, Y + 0.01))

    assert locate(X + 0.009, Y + 0.005) is None
    assert locate(X + 0.007, Y + 0.005).grid_code == world.g2.code


def test_it_follows_a_region_being_added(world) -> None:
    actions.update_region(world.g4, boundary=square(X + 0.01, Y, X + 0.015, Y + 0.01))
    assert locate(X + 0.018, Y + 0.005) is None

    grid = actions.create_region(
        code="440304001002002",
        name="五网格",
        level=RegionLevel.GRID,
        parent=world.c2,
        boundary=square(X + 0.015, Y, X + 0.02, Y + 0.01),
    )

    found = locate(X + 0.018, Y + 0.005)
    assert (found.grid_id, found.community_id, found.street_id) == (grid.pk, world.c2.pk, world.s1.pk)


def test_it_follows_a_bulk_import(world, exported) -> None:
    from shequ.geo.geojson import import_grids

    for f in exported["features"]:
        if f["properties"]["code"] == world.g4.code:
            f["geometry"] = square(X + 0.01, Y, X + 0.015, Y + 0.01)
    exported["features"].append(
        {
            "type": "Feature",
            "geometry": square(X + 0.015, Y, X + 0.02, Y + 0.01),
            "properties": {"code": "440304001002002", "name": "五网格"},
        }
    )
    assert locate(X + 0.018, Y + 0.005).grid_code == world.g4.code

    report = import_grids(exported)

    assert report.written
    assert locate(X + 0.018, Y + 0.005).grid_code == "440304001002002"
    assert locate(X + 0.012, Y + 0.005).grid_code == world.g4.code
