from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shequ.events.models import Channel, Event, EventPhoto, Status, TimelineEntry

from .conftest import client_for, png_bytes, png_upload


def post_report(client, **fields):
    return client.post(reverse("portal:report"), fields)


def test_it_shows_the_report_page_with_categories_map_and_tabs(world, resident_client):
    response = resident_client.get(reverse("portal:report"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-action="report"' in html and 'data-submit="report"' in html
    for name in ("市容环境", "暴露垃圾", "乱涂写", "街面秩序", "噪声扰民", "不确定"):
        assert name in html
    assert 'accept="image/*"' in html and 'capture="environment"' in html
    assert 'data-areas-url="/portal/map/areas.json"' in html
    assert "vendor/leaflet/leaflet.js" in html and "vendor/htmx/htmx.min.js" in html
    assert 'data-tab="report"' in html and 'data-tab="mine"' in html and 'data-tab="me"' in html


def test_it_serves_the_grid_outlines_for_the_map(world, resident_client):
    response = resident_client.get(reverse("portal:map_areas"))
    assert response.status_code == 200
    data = response.json()
    assert data["type"] == "FeatureCollection"
    assert [f["properties"] for f in data["features"]] == [
        {"code": "440304001001001", "name": "一网格"},
        {"code": "440304001001002", "name": "二网格"},
        {"code": "440304001002001", "name": "四网格"},
        {"code": "440304002001001", "name": "三网格"},
    ]
    assert data["features"][0]["geometry"] == world.g1.boundary


def test_it_reports_with_a_photo_and_opens_the_report(world, resident_client):
    lon, lat = world.point_in(world.g2)
    response = post_report(
        resident_client,
        category=world.litter.pk,
        description="小区东门垃圾桶满溢",
        lon=lon,
        lat=lat,
        crs="wgs84",
        address="东门",
        photos=[png_upload("a.png"), png_upload("b.png")],
    )
    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:detail", args=[event.code])
    assert (event.reporter, event.channel, event.status) == (world.resident, Channel.RESIDENT, Status.REPORTED)
    assert (event.category, event.grid, event.community, event.address) == (world.litter, world.g2, world.c1, "东门")
    assert (event.description, event.lon, event.lat) == ("小区东门垃圾桶满溢", lon, lat)
    photos = list(event.photos.all())
    assert [(p.stage, p.content_type, p.size) for p in photos] == [("report", "image/png", len(png_bytes()))] * 2
    assert photos[0].file.read() == png_bytes()
    page = resident_client.get(response["Location"]).content.decode()
    assert f"上报成功，您的事件编号为 {event.code}" in page


def test_it_reports_without_a_category_when_unsure(world, resident_client):
    lon, lat = world.point_in(world.g1)
    response = post_report(resident_client, category="", description="不知道归谁管", lon=lon, lat=lat)
    assert response.status_code == 302
    assert Event.objects.get().category is None


def test_it_converts_a_gcj02_position(world, resident_client):
    from shequ.geo.coords import from_wgs84

    lon, lat = from_wgs84(*world.point_in(world.g1), "gcj02")
    post_report(resident_client, description="路灯不亮", lon=lon, lat=lat, crs="gcj02")
    event = Event.objects.get()
    assert event.grid == world.g1
    assert abs(event.lon - world.point_in(world.g1)[0]) < 1e-7


def test_it_refuses_a_file_that_is_not_an_image_and_creates_nothing(world, resident_client):
    lon, lat = world.point_in(world.g1)
    fake = SimpleUploadedFile("photo.png", b"#!/bin/sh\necho not an image\n", content_type="image/png")
    response = post_report(resident_client, description="垃圾", lon=lon, lat=lat, photos=[png_upload("ok.png"), fake])
    assert response.status_code == 400
    html = response.content.decode()
    assert '<p class="error" data-error="photos">只能上传照片（JPEG、PNG 或 WebP 格式）。</p>' in html
    assert "垃圾</textarea>" in html  # what was typed is kept
    assert (Event.objects.count(), EventPhoto.objects.count(), TimelineEntry.objects.count()) == (0, 0, 0)


def test_it_refuses_more_than_nine_photos(world, resident_client):
    lon, lat = world.point_in(world.g1)
    photos = [png_upload(f"{i}.png") for i in range(10)]
    response = post_report(resident_client, description="垃圾", lon=lon, lat=lat, photos=photos)
    assert response.status_code == 400
    assert 'data-error="photos"' in response.content.decode()
    assert Event.objects.count() == 0


def test_it_refuses_a_point_outside_the_district_with_a_clear_message(world, resident_client):
    response = post_report(resident_client, description="垃圾", lon=113.0, lat=23.0, crs="wgs84")
    assert response.status_code == 400
    assert (
        '<p class="error" data-error="location">该位置不在本辖区内，请在地图上标出的网格范围内点选。</p>'
        in response.content.decode()
    )
    assert (Event.objects.count(), TimelineEntry.objects.count()) == (0, 0)


def test_it_asks_for_a_location(world, resident_client):
    response = post_report(resident_client, description="垃圾")
    assert response.status_code == 400
    assert 'data-error="location"' in response.content.decode()
    assert Event.objects.count() == 0


def test_it_asks_for_a_description_next_to_the_field(world, resident_client):
    lon, lat = world.point_in(world.g1)
    response = post_report(resident_client, description="  ", lon=lon, lat=lat)
    assert response.status_code == 400
    assert 'data-error="description"' in response.content.decode()
    assert Event.objects.count() == 0


def test_it_refuses_a_group_as_category(world, resident_client):
    lon, lat = world.point_in(world.g1)
    response = post_report(resident_client, category=world.group_env.pk, description="垃圾", lon=lon, lat=lat)
    assert response.status_code == 400
    assert 'data-error="category"' in response.content.decode()
    assert Event.objects.count() == 0


@pytest.mark.parametrize("lon", ["abc", "200"])
def test_it_refuses_bad_coordinates_without_a_500(world, resident_client, lon):
    response = post_report(resident_client, description="垃圾", lon=lon, lat="22.5")
    assert response.status_code == 400
    assert Event.objects.count() == 0


def test_it_lets_staff_report_as_a_resident(world):
    lon, lat = world.point_in(world.g1)
    response = post_report(client_for(world.grid_worker), description="下班路上看到", lon=lon, lat=lat)
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.reporter, event.channel) == (world.grid_worker, Channel.RESIDENT)
