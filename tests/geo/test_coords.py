"""Coordinate systems: round trips, the outside-China rule and published reference pairs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shequ.geo.coords import CRS, bd09_to_gcj02, from_wgs84, gcj02_to_bd09, to_wgs84, wgs84_to_gcj02

# Inside the GCJ-02 rectangle with a margin, so neither end of a conversion crosses its edge.
china_lon = st.floats(min_value=74.0, max_value=134.5)
china_lat = st.floats(min_value=4.5, max_value=53.0)
outside = st.one_of(
    st.tuples(st.floats(min_value=-180, max_value=73.0), st.floats(min_value=-90, max_value=90)),
    st.tuples(st.floats(min_value=136.0, max_value=180), st.floats(min_value=-90, max_value=90)),
    st.tuples(st.floats(min_value=-180, max_value=180), st.floats(min_value=54.0, max_value=90)),
)


@given(china_lon, china_lat)
def test_it_round_trips_wgs84_through_gcj02_under_a_micro_degree(lon: float, lat: float) -> None:
    g_lon, g_lat = from_wgs84(lon, lat, CRS.GCJ02)
    assert (g_lon, g_lat) != (lon, lat)
    w_lon, w_lat = to_wgs84(g_lon, g_lat, CRS.GCJ02)
    assert abs(w_lon - lon) < 1e-6
    assert abs(w_lat - lat) < 1e-6


@given(china_lon, china_lat)
def test_it_round_trips_wgs84_through_bd09_under_a_micro_degree(lon: float, lat: float) -> None:
    w_lon, w_lat = to_wgs84(*from_wgs84(lon, lat, CRS.BD09), CRS.BD09)
    assert abs(w_lon - lon) < 1e-6
    assert abs(w_lat - lat) < 1e-6


@given(china_lon, china_lat)
def test_it_inverts_bd09_exactly_not_by_the_one_step_formula(lon: float, lat: float) -> None:
    g_lon, g_lat = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert abs(g_lon - lon) < 1e-9
    assert abs(g_lat - lat) < 1e-9


@given(outside)
def test_it_leaves_points_outside_china_unchanged(point: tuple[float, float]) -> None:
    assert from_wgs84(*point, CRS.GCJ02) == point
    assert to_wgs84(*point, CRS.GCJ02) == point
    assert to_wgs84(*point, CRS.WGS84) == point


# Published pairs: wandergis/coordtransform's example in test/app.js (the reference most Chinese
# ports test against; its Rust port asserts the same values), and an R package's wgs_to_gcj test
# near Tiananmen (given to 8 decimals). The forward formula is deterministic, so they agree to 1e-8.
@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [
        ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
        ((116.39089, 39.90734), (116.39713094, 39.90874107)),
    ],
)
def test_it_matches_published_wgs84_to_gcj02_pairs(wgs: tuple, gcj: tuple) -> None:
    lon, lat = wgs84_to_gcj02(*wgs)
    assert lon == pytest.approx(gcj[0], abs=1e-8)
    assert lat == pytest.approx(gcj[1], abs=1e-8)


def test_it_matches_the_published_gcj02_to_bd09_pair() -> None:
    assert gcj02_to_bd09(116.404, 39.915) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-12)


def test_it_stays_within_a_fifth_of_a_metre_of_the_published_one_step_bd09_inverse() -> None:
    # wandergis gives (116.39762729119315, 39.90865673957631) with the closed-form approximation;
    # ours is refined against the forward formula, so it differs by that approximation's error.
    lon, lat = bd09_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(116.39762729119315, abs=2e-6)
    assert lat == pytest.approx(39.90865673957631, abs=2e-6)
    assert gcj02_to_bd09(lon, lat) == pytest.approx((116.404, 39.915), abs=1e-10)


def test_it_refuses_an_unknown_coordinate_system() -> None:
    with pytest.raises(ValueError):
        to_wgs84(116.4, 39.9, "cgcs2000")
