from shequ.events.models import Channel, Event, EventPhoto, Status
from shequ.geo.coords import from_wgs84

from .conftest import CJK, PNG, assert_error


def report_body(world, grid=None, **extra) -> dict:
    lon, lat = world.point_in(grid or world.g1)
    return {"description": "楼下垃圾堆积", "category": "0101", "lon": lon, "lat": lat, **extra}


def test_it_reports_an_event_as_a_resident(world, as_):
    resp = as_(world.resident).post("/events", report_body(world, address="一社区3栋"))
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    event = Event.objects.get(code=body["code"])
    assert (event.channel, event.reporter, event.grid, event.status) == (
        Channel.RESIDENT,
        world.resident,
        world.g1,
        Status.REPORTED,
    )
    assert body["grid"] == {"code": "440304001001001", "name": "一网格"}
    assert body["desk"] == {"code": "440304001001", "name": "一社区"}
    assert body["category"] == {"code": "0101", "name": "暴露垃圾"}
    assert body["level"] == {"code": "general", "name": "一般"}
    assert body["address"] == "一社区3栋"
    assert body["token"] == str(event.token)
    assert body["reporter_name"] == "resident"
    assert [t["action"] for t in body["timeline"]] == ["report"]
    assert body["actions"] == []


def test_it_derives_the_channel_from_role_and_token(world, as_):
    cases = [
        (as_(world.grid_worker), Channel.GRID_WORKER),
        (as_(world.community_staff), Channel.DEPARTMENT),
        (as_(world.system, channel="hotline"), Channel.HOTLINE),
        (as_(world.system), Channel.DEPARTMENT),
    ]
    for client, channel in cases:
        resp = client.post("/events", report_body(world))
        assert resp.status_code == 201, resp.json()
        assert resp.json()["channel"] == channel


def test_it_keeps_the_callers_name_and_phone_from_the_hotline(world, as_):
    hotline = as_(world.system, channel="hotline")
    body = report_body(world, reporter_name="张先生", reporter_phone="13800000000", source_ref="HL-1")
    first = hotline.post("/events", body).json()
    again = hotline.post("/events", body).json()
    assert first["code"] == again["code"]
    assert Event.objects.count() == 1
    assert (first["reporter_name"], first["reporter_phone"]) == ("张先生", "13800000000")


def test_it_places_a_gcj02_point_in_its_grid(world, as_):
    lon, lat = world.point_in(world.g2)
    x, y = from_wgs84(lon, lat, "gcj02")
    resp = as_(world.resident).post("/events", report_body(world, lon=x, lat=y, crs="gcj02"))
    assert resp.json()["grid"]["code"] == "440304001001002"
    assert abs(resp.json()["lon"] - lon) < 1e-7


def test_it_reports_by_region_code_without_a_point(world, as_):
    body = {"description": "噪声扰民", "category": "0201", "region": "440304002001"}
    resp = as_(world.resident).post("/events", body)
    assert resp.status_code == 201
    assert resp.json()["grid"] is None and resp.json()["community"]["code"] == "440304002001"


def test_it_accepts_photos_with_a_multipart_report(world, as_):
    lon, lat = world.point_in(world.g1)
    fields = {"description": "井盖缺失", "category": "0101", "lon": str(lon), "lat": str(lat), "region": ""}
    resp = as_(world.grid_worker).post_form("/events", fields, photos=2)
    assert resp.status_code == 201, resp.json()
    photos = resp.json()["photos"]
    assert [(p["stage"], p["content_type"], p["size"]) for p in photos] == [("report", "image/png", len(PNG))] * 2
    assert all(p["url"].startswith("/media/events/") for p in photos)


def test_it_refuses_bad_reports_without_creating_anything(world, as_):
    client = as_(world.resident)
    cases = [
        (report_body(world, category="9999"), 400, "unknown_category"),
        (report_body(world, category="01"), 400, "category_not_leaf"),
        (report_body(world, level="critical"), 400, "unknown_level"),
        (report_body(world, region="123", lon=None, lat=None), 400, "unknown_region"),
        (report_body(world, lon=116.4, lat=39.9), 400, "outside_area"),
        (report_body(world, crs="mars"), 422, "validation_error"),
        (report_body(world, lon=None, lat=None), 400, "location_required"),
        (report_body(world, description=""), 422, "validation_error"),
        (report_body(world, description="   "), 400, "invalid_input"),
        (report_body(world, lon=500), 422, "validation_error"),
    ]
    for body, status, code in cases:
        resp = client.post("/events", body)
        assert_error(resp, status, code)
    assert Event.objects.count() == 0


def test_it_refuses_a_body_that_is_not_json(world, as_):
    client = as_(world.resident)
    resp = client.client.post("/api/events", "{not json", content_type="application/json")
    assert_error(resp, 400, "bad_json")
    assert_error(client.post("/events", [1, 2]), 400, "bad_json")
    assert Event.objects.count() == 0


def test_it_refuses_a_file_that_is_not_an_image(world, as_):
    from django.core.files.uploadedfile import SimpleUploadedFile

    lon, lat = world.point_in(world.g1)
    fields = {"description": "x", "lon": str(lon), "lat": str(lat)}
    fake = SimpleUploadedFile("a.png", b"<html>not a png</html>", content_type="image/png")
    resp = as_(world.resident).client.post("/api/events", {**fields, "photos": [fake]})
    assert_error(resp, 400, "photo_type")
    assert (Event.objects.count(), EventPhoto.objects.count()) == (0, 0)


def test_it_names_the_bad_fields_of_a_validation_error(world, as_):
    body = assert_error(as_(world.resident).post("/events", report_body(world, crs="mars")), 422, "validation_error")
    assert [d["field"] for d in body["details"]] == ["crs"]
    assert "crs" in body["message"]


def test_it_reports_domain_errors_in_the_platform_language(world, as_):
    resp = as_(world.resident).post("/events", report_body(world, lon=116.4, lat=39.9))
    message = resp.json()["message"]
    # Chinese once the events catalogue is compiled; the msgid is English until then.
    assert CJK.search(message) or message == "This location is outside the district's grids."
