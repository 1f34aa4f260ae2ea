"""The scoped photo view and the map's GeoJSON feeds."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shequ.events import actions
from shequ.events.models import EventPhoto
from shequ.workbench import map_views

from .conftest import png, png_bytes, report


@pytest.fixture
def photo(world) -> EventPhoto:
    event = report(world, by=world.resident, photos=[png()])
    return EventPhoto.objects.get(event=event)


def fetch(client, photo: EventPhoto):
    return client.get(reverse("event_photo", args=[photo.pk]))


@pytest.mark.parametrize("persona", ["resident", "community_staff", "street_dispatcher", "admin"])
def test_it_streams_a_photo_to_whoever_sees_the_event(client, world, photo, persona):
    client.force_login(getattr(world, persona))
    response = fetch(client, photo)
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")
    assert b"".join(response.streaming_content) == png_bytes()


@pytest.mark.parametrize("persona", ["resident2", "community_staff_c3", "street_dispatcher_s2", "handler"])
def test_it_hides_a_photo_from_whoever_does_not_see_the_event(client, world, photo, persona):
    client.force_login(getattr(world, persona))
    assert fetch(client, photo).status_code == 404


def test_it_answers_a_missing_photo_like_a_hidden_one(client, world, photo):
    client.force_login(world.admin)
    assert client.get(reverse("event_photo", args=[photo.pk + 1000])).status_code == 404


def test_it_asks_an_anonymous_visitor_to_log_in_for_a_photo(client, world, photo):
    response = fetch(client, photo)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next=/events/photos/{photo.pk}/")


def test_it_shows_the_photos_on_the_detail_page(client, world, photo):
    client.force_login(world.community_staff)
    html = client.get(reverse("event_detail", args=[photo.event.code])).content.decode()
    assert f'src="/events/photos/{photo.pk}/"' in html


def test_it_maps_the_grids_and_communities_of_the_users_area(client, world):
    client.force_login(world.community_staff)
    data = client.get(reverse("map_regions")).json()
    assert [(f["properties"]["code"], f["properties"]["level"]) for f in data["features"]] == [
        (world.c1.code, "community"),
        (world.g1.code, "grid"),
        (world.g2.code, "grid"),
    ]
    assert data["features"][1]["geometry"] == world.g1.boundary


def test_it_maps_only_open_events_in_scope(client, world):
    open_event = report(world)
    rejected = actions.reject(report(world), by=world.community_staff, reason="重复上报")
    report(world, grid=world.g3)
    client.force_login(world.community_staff)
    data = client.get(reverse("map_events")).json()
    assert [f["properties"]["code"] for f in data["features"]] == [open_event.code]
    assert rejected.code not in str(data)
    feature = data["features"][0]
    assert feature["geometry"]["coordinates"] == [open_event.lon, open_event.lat]
    assert feature["properties"]["url"] == f"/events/{open_event.code}/"
    assert (data["total"], data["shown"], data["capped"]) == (1, 1, False)


def test_it_caps_the_markers_newest_first_and_says_so(client, world, monkeypatch):
    monkeypatch.setattr(map_views, "MAX_MARKERS", 2)
    made = [report(world) for _ in range(3)]
    client.force_login(world.community_staff)
    data = client.get(reverse("map_events")).json()
    assert [f["properties"]["code"] for f in data["features"]] == [made[2].code, made[1].code]
    assert (data["total"], data["shown"], data["capped"]) == (3, 2, True)


def test_it_draws_the_map_offline_without_a_tile_url(client, world, settings):
    settings.SHEQU_TILE_URL = ""
    client.force_login(world.community_staff)
    html = client.get(reverse("map")).content.decode()
    assert 'data-tile-url=""' in html and "未配置底图" in html
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/workbench/map.js" in html
    settings.SHEQU_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    html = client.get(reverse("map")).content.decode()
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in html and "未配置底图" not in html
