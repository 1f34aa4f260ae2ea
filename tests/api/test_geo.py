from shequ.geo.coords import from_wgs84

from .conftest import assert_error


def codes(resp) -> list[str]:
    assert resp.status_code == 200, resp.content
    return [r["code"] for r in resp.json()]


def test_it_lists_only_the_regions_inside_a_staff_members_area(world, as_):
    assert codes(as_(world.community_staff).get("/geo/regions")) == [
        "440304001001",
        "440304001001001",
        "440304001001002",
    ]
    assert codes(as_(world.grid_worker).get("/geo/regions")) == ["440304001001001"]


def test_it_lists_the_public_directory_to_residents_and_handlers(world, as_):
    grids = ["440304001001001", "440304001001002", "440304001002001", "440304002001001"]
    assert codes(as_(world.resident).get("/geo/regions", level="grid")) == grids
    assert codes(as_(world.handler).get("/geo/regions", level="grid")) == grids


def test_it_filters_regions_by_level_parent_and_text(world, as_):
    admin = as_(world.admin)
    assert codes(admin.get("/geo/regions", level="community")) == ["440304001001", "440304001002", "440304002001"]
    assert codes(admin.get("/geo/regions", parent="440304001001")) == ["440304001001001", "440304001001002"]
    assert codes(admin.get("/geo/regions", q="三")) == ["440304002001", "440304002001001"]
    assert codes(admin.get("/geo/regions", q="440304002")) == ["440304002", "440304002001", "440304002001001"]
    row = admin.get("/geo/regions", parent="440304001001").json()[0]
    assert row == {
        "code": "440304001001001",
        "name": "一网格",
        "level": "grid",
        "parent": "440304001001",
        "center_lon": None,
        "center_lat": None,
    }


def test_it_returns_a_region_with_its_boundary(world, as_):
    resp = as_(world.community_staff).get("/geo/regions/440304001001001")
    assert resp.status_code == 200
    body = resp.json()
    assert body["full_name"] == "示范区 / 东街道 / 一社区 / 一网格"
    assert body["boundary"] == world.g1.boundary


def test_it_hides_a_region_outside_the_area_as_not_found(world, as_):
    assert_error(as_(world.community_staff).get("/geo/regions/440304002001"), 404, "not_found")
    assert_error(as_(world.community_staff).get("/geo/regions/999"), 404, "not_found")


def test_it_locates_a_wgs84_point(world, as_):
    lon, lat = world.point_in(world.g2)
    resp = as_(world.resident).get("/geo/locate", lon=lon, lat=lat)
    assert resp.status_code == 200
    assert resp.json() == {
        "lon": lon,
        "lat": lat,
        "grid": {"code": "440304001001002", "name": "二网格"},
        "community": {"code": "440304001001", "name": "一社区"},
        "street": {"code": "440304001", "name": "东街道"},
    }


def test_it_converts_gcj02_and_bd09_points_before_locating(world, as_):
    lon, lat = world.point_in(world.g3)
    for crs in ("gcj02", "bd09"):
        x, y = from_wgs84(lon, lat, crs)
        body = as_(world.resident).get("/geo/locate", lon=x, lat=y, crs=crs).json()
        assert body["grid"]["code"] == "440304002001001"
        assert abs(body["lon"] - lon) < 1e-7 and abs(body["lat"] - lat) < 1e-7


def test_it_answers_outside_area_for_a_point_outside_every_grid(world, as_):
    assert_error(as_(world.resident).get("/geo/locate", lon=116.4, lat=39.9), 404, "outside_area")


def test_it_refuses_an_unknown_crs_and_bad_coordinates(world, as_):
    client = as_(world.resident)
    assert_error(client.get("/geo/locate", lon=114.05, lat=22.54, crs="mars"), 422, "validation_error")
    assert_error(client.get("/geo/locate", lon=200, lat=22.54), 422, "validation_error")
    assert_error(client.get("/geo/locate", lon="nan", lat=22.54), 422, "validation_error")
    assert_error(client.get("/geo/locate", lat=22.54), 422, "validation_error")


def test_it_requires_authentication(world, client):
    assert_error(client.get("/api/geo/regions"), 401, "unauthenticated")
    assert_error(client.get("/api/geo/locate", {"lon": 114.05, "lat": 22.54}), 401, "unauthenticated")
