from django.test import Client

from shequ.events.models import Channel, Event
from tests.world import token_for

from .conftest import as_json, as_xml, assert_json_error, assert_xml_error, post


def fields(world, **extra) -> dict:
    lon, lat = world.point_in(world.g2)
    return {"service_code": "0101", "lat": lat, "long": lon, "description": "垃圾桶满溢", **extra}


def test_it_creates_a_request_on_the_tokens_channel(anon, world):
    key = token_for(world.system, channel="hotline")
    body = fields(
        world,
        api_key=key,
        jurisdiction_id="440304",
        first_name="伟",
        last_name="王",
        phone="13700001111",
        email="wang@example.com",
        address_string="一社区8栋",
        device_id="abc",
        account_id="42",
    )
    [row] = as_json(post(anon, **body), 201)
    event = Event.objects.get(code=row["service_request_id"])
    assert row == {
        "service_request_id": event.code,
        "token": str(event.token),
        "service_notice": "",
        "account_id": None,
    }
    assert (event.channel, event.reporter, event.grid, event.category) == (
        Channel.HOTLINE,
        world.system,
        world.g2,
        world.litter,
    )
    assert (event.reporter_name, event.reporter_phone, event.address) == ("王伟", "13700001111", "一社区8栋")


def test_it_answers_a_post_in_xml(anon, world):
    key = token_for(world.resident)
    root = as_xml(post(anon, "xml", **fields(world, api_key=key, media_url="https://img.example/1.jpg")), 201)
    event = Event.objects.get()
    assert root.findtext("request/service_request_id") == event.code
    assert root.findtext("request/token") == str(event.token)
    assert event.channel == Channel.RESIDENT
    assert event.description == "垃圾桶满溢\n照片：https://img.example/1.jpg"


def test_it_needs_no_csrf_token(world):
    key = token_for(world.grid_worker)
    strict = Client(enforce_csrf_checks=True)
    [row] = as_json(post(strict, **fields(world, api_key=key, first_name="Ann", last_name="Lee")), 201)
    assert Event.objects.get(code=row["service_request_id"]).reporter_name == "Ann Lee"


def test_it_refuses_a_post_without_or_with_a_bad_api_key(anon, world):
    assert_json_error(post(anon, **fields(world)), 403)
    assert_xml_error(post(anon, "xml", **fields(world, api_key="sq_nope")), 403)
    anon.force_login(world.community_staff)  # a session is not enough to post
    assert_json_error(post(anon, **fields(world)), 403)
    assert Event.objects.count() == 0


def test_it_refuses_a_revoked_key(anon, world):
    key = token_for(world.resident)
    world.resident.api_tokens.update(revoked_at="2024-01-01T00:00:00Z")
    assert_json_error(post(anon, **fields(world, api_key=key)), 403)
    assert Event.objects.count() == 0


def test_it_refuses_bad_posts_without_creating_anything(anon, world):
    key = token_for(world.resident)
    cases = [
        fields(world, api_key=key, jurisdiction_id="110101"),
        {**fields(world, api_key=key, address_string="一社区8栋"), "lat": "", "long": ""},
        fields(world, api_key=key, lat="north"),
        fields(world, api_key=key, long="200"),
        fields(world, api_key=key, description=""),
    ]
    descriptions = [assert_json_error(post(anon, **case), 400) for case in cases]
    assert "110101" in descriptions[0]
    assert Event.objects.count() == 0
    # Without a usable service_code the machine's suggestion is taken (tests/intake/test_channels.py)


def test_it_passes_on_the_loops_refusal_of_a_point_outside_the_district(anon, world):
    key = token_for(world.resident)
    [error] = as_json(post(anon, **fields(world, api_key=key, lat="39.9", long="116.4")), 400)
    # The message is the domain's (events catalogue), so only its presence is checked here.
    assert error["code"] == 400 and error["description"]
    assert Event.objects.count() == 0
