"""The open feed: GET without an api_key, as the spec has it, shows only what may be public."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shequ.events import actions
from shequ.events.models import Category, Event
from tests.api.conftest import PNG
from tests.portal.conftest import client_for
from tests.world import World

from .conftest import as_json, as_xml, assert_json_error, get, post, reported


@pytest.fixture
def public(world: World) -> World:
    """Street litter and graffiti are public; noise (02) stands for a category that never is (a dispute)."""
    Category.objects.filter(code__in=["01", "0101", "0102"]).update(public=True)
    return world


def accepted(world: World, **kwargs) -> Event:
    # The district's dispatcher may accept at any desk of the district.
    return actions.accept(reported(world, **kwargs), by=world.district_dispatcher, note="张三来电，已受理")


def test_it_lists_only_public_services_without_a_key(anon, public, key):
    assert [s["service_code"] for s in as_json(get(anon, "services.json"))] == ["0101", "0102"]
    root = as_xml(get(anon, "services.xml"))
    assert [s.findtext("service_code") for s in root.findall("service")] == ["0101", "0102"]
    assert_json_error(get(anon, "services/0201.json"), 404)
    # A key sees every service it may report in.
    assert [s["service_code"] for s in as_json(get(anon, "services.json", api_key=key))] == ["0101", "0102", "0201"]
    assert as_json(get(anon, "services/0201.json", api_key=key))["service_code"] == "0201"


def test_it_lists_accepted_public_requests_without_reporter_data_or_staff_notes(anon, public):
    shown = accepted(public, publish_description=True)
    quiet = accepted(public, grid=public.g3, by=public.resident2, category=public.graffiti)
    accepted(public, category=public.noise)  # not a public category
    reported(public, publish_description=True)  # not accepted yet: the desk has not confirmed its category
    actions.reject(reported(public, publish_description=True), by=public.community_staff, reason="不属实")
    resp = get(anon, "requests.json")
    for private in ("李女士", "13911112222", "张三"):
        assert private.encode() not in resp.content
    rows = {r["service_request_id"]: r for r in as_json(resp)}
    assert set(rows) == {shown.code, quiet.code}  # every area: the feed is the district's
    assert (rows[shown.code]["description"], rows[shown.code]["status_notes"]) == ("路灯不亮", "")
    assert (rows[quiet.code]["description"], rows[quiet.code]["media_url"]) == ("", None)
    assert rows[quiet.code]["service_code"] == "0102" and rows[quiet.code]["address"] == "一社区5栋"
    # The spec's filters work on the feed as well.
    assert [r["service_request_id"] for r in as_json(get(anon, "requests.json", service_code="0102"))] == [quiet.code]


def test_it_shows_a_photo_only_with_the_reporters_consent(anon, public):
    lon, lat = public.point_in(public.g1)
    for consent in (True, False):
        event = actions.report(
            by=public.resident,
            channel="resident",
            description=f"consent={consent}",
            category=public.litter,
            lon=lon,
            lat=lat,
            photos=[SimpleUploadedFile("p.png", PNG, content_type="image/png")],
            publish_description=consent,
        )
        actions.accept(event, by=public.district_dispatcher)
    media = {r["description"]: r["media_url"] for r in as_json(get(anon, "requests.json"))}
    assert media[""] is None
    assert media["consent=True"].startswith("http://testserver/")


def test_it_gives_one_public_request_and_its_token_without_a_key(anon, public):
    event = accepted(public)
    hidden = accepted(public, category=public.noise)
    pending = reported(public)
    [row] = as_json(get(anon, f"requests/{event.code}.json"))
    assert (row["service_request_id"], row["description"]) == (event.code, "")
    assert as_json(get(anon, f"tokens/{event.token}.json")) == [
        {"service_request_id": event.code, "token": str(event.token)}
    ]
    for other in (hidden, pending):
        assert_json_error(get(anon, f"requests/{other.code}.json"), 404)
        assert_json_error(get(anon, f"tokens/{other.token}.json"), 404)


def test_it_refuses_a_wrong_key_instead_of_answering_publicly(anon, public):
    accepted(public)
    assert_json_error(get(anon, "requests.json", api_key="sq_wrong"), 403)
    assert_json_error(get(anon, "services.json", api_key="sq_wrong"), 403)


def test_it_still_needs_a_key_to_post(anon, public):
    lon, lat = public.point_in(public.g1)
    assert_json_error(post(anon, service_code="0101", lat=lat, long=lon, description="垃圾"), 403)
    assert not Event.objects.exists()


def test_it_takes_the_consent_on_post_as_an_extension(anon, public, key):
    lon, lat = public.point_in(public.g1)
    for consent in ("true", ""):
        as_json(
            post(
                anon,
                api_key=key,
                service_code="0101",
                lat=lat,
                long=lon,
                description="垃圾",
                publish_description=consent,
            ),
            201,
        )
    assert sorted(Event.objects.values_list("publish_description", flat=True)) == [False, True]


def test_residents_and_systems_give_the_consent_where_they_report(world, as_):
    lon, lat = world.point_in(world.g1)
    client = client_for(world.resident)
    assert 'name="publish_description"' in client.get(reverse("portal:report")).content.decode()
    fields = {"description": "路灯不亮", "lon": lon, "lat": lat, "crs": "wgs84"}
    assert client.post(reverse("portal:report"), {**fields, "publish_description": "on"}).status_code == 302
    assert client.post(reverse("portal:report"), fields).status_code == 302
    api = as_(world.resident)
    body = {"description": "井盖缺失", "lon": lon, "lat": lat}
    assert api.post("/events", {**body, "publish_description": True}).status_code == 201
    assert api.post("/events", body).status_code == 201
    consents = list(Event.objects.order_by("id").values_list("publish_description", flat=True))
    assert consents == [True, False, True, False]
