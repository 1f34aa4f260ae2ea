from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shequ.core import clock
from shequ.events import actions
from shequ.events.models import Channel, Event

from .conftest import as_json, as_xml, assert_json_error, assert_xml_error, get, reported


def local_iso(value: datetime) -> str:
    return value.astimezone(ZoneInfo("Asia/Shanghai")).isoformat(timespec="seconds")


def test_it_answers_without_an_api_key_with_the_open_feed_only(anon, world):
    reported(world)  # not accepted, not in a public category: never on the open feed
    assert as_json(get(anon, "requests.json")) == []
    assert as_xml(get(anon, "requests.xml")).findall("request") == []
    assert_json_error(get(anon, "requests.json", api_key="sq_wrong"), 403)


def test_it_lists_only_the_callers_events_newest_first(anon, world, key):
    older = reported(world)
    newer = reported(world, grid=world.g2)
    reported(world, grid=world.g3, by=world.resident2)  # C3: out of the key's scope
    body = as_json(get(anon, "requests.json", api_key=key))
    assert [r["service_request_id"] for r in body] == [newer.code, older.code]


def test_it_renders_a_request_with_the_spec_fields_and_no_personal_data(anon, world, key):
    event = reported(world)
    actions.accept(event, by=world.community_staff, note="已受理")
    event = actions.dispatch(event, by=world.community_staff)
    resp = get(anon, "requests.json", api_key=key)
    assert "李女士".encode() not in resp.content and b"13911112222" not in resp.content
    [row] = as_json(resp)
    lon, lat = world.point_in(world.g1)
    assert row == {
        "service_request_id": event.code,
        "status": "open",
        "status_notes": "已受理",
        "service_name": "暴露垃圾",
        "service_code": "0101",
        "description": "路灯不亮",
        "agency_responsible": "一社区环卫队",
        "service_notice": "",
        "requested_datetime": local_iso(event.reported_at),
        "updated_datetime": local_iso(event.updated_at),
        "expected_datetime": local_iso(event.deadline),
        "address": "一社区5栋",
        "address_id": "",
        "zipcode": "",
        "lat": lat,
        "long": lon,
        "media_url": None,
    }
    assert row["requested_datetime"].endswith("+08:00")


def test_it_renders_requests_as_xml(anon, world, key):
    event = reported(world)
    root = as_xml(get(anon, "requests.xml", api_key=key))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert request.findtext("service_request_id") == event.code
    assert request.findtext("status") == "open"
    assert request.findtext("long") == str(event.lon)
    assert request.find("media_url").text is None


def test_it_maps_closed_and_rejected_to_closed(anon, world, key):
    open_event = reported(world)
    rejected = actions.reject(reported(world), by=world.community_staff, reason="不属实")
    statuses = {r["service_request_id"]: r["status"] for r in as_json(get(anon, "requests.json", api_key=key))}
    assert statuses == {open_event.code: "open", rejected.code: "closed"}
    closed = as_json(get(anon, "requests.json", api_key=key, status="closed"))
    assert [(r["service_request_id"], r["status_notes"]) for r in closed] == [(rejected.code, "不属实")]
    both = as_json(get(anon, "requests.json", api_key=key, status="open,closed"))
    assert len(both) == 2


def test_it_filters_by_ids_service_and_dates(anon, world, key):
    litter = reported(world)
    noise = reported(world, category=world.noise)
    ids = as_json(get(anon, "requests.json", api_key=key, service_request_id=f"{litter.code}, nope", status="closed"))
    assert [r["service_request_id"] for r in ids] == [litter.code]
    by_service = as_json(get(anon, "requests.json", api_key=key, service_code="0201"))
    assert [r["service_request_id"] for r in by_service] == [noise.code]
    now = clock.now()
    future = (now + timedelta(days=1)).isoformat()
    assert as_json(get(anon, "requests.json", api_key=key, start_date=future)) == []
    past = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert len(as_json(get(anon, "requests.json", api_key=key, start_date=past))) == 2
    assert as_json(get(anon, "requests.json", api_key=key, end_date="2000-01-01T00:00:00Z")) == []


def test_it_refuses_bad_search_parameters(anon, world, key):
    assert_json_error(get(anon, "requests.json", api_key=key, status="pending"), 400)
    assert_json_error(get(anon, "requests.json", api_key=key, start_date="last week"), 400)
    assert_xml_error(get(anon, "requests.xml", api_key=key, end_date="2024-13-45T00:00:00"), 400)


def test_it_reads_requests_with_a_logged_in_session(anon, world):
    event = reported(world)
    anon.force_login(world.community_staff)
    assert [r["service_request_id"] for r in as_json(get(anon, "requests.json"))] == [event.code]


def test_it_gives_one_request_and_hides_one_out_of_scope(anon, world, key):
    event = reported(world)
    outside = reported(world, grid=world.g3, by=world.resident2)
    [row] = as_json(get(anon, f"requests/{event.code}.json", api_key=key))
    assert row["service_request_id"] == event.code
    root = as_xml(get(anon, f"requests/{event.code}.xml", api_key=key))
    assert root.findtext("request/service_request_id") == event.code
    assert_json_error(get(anon, f"requests/{outside.code}.json", api_key=key), 404)
    assert_json_error(get(anon, "requests/440304-20000101-00001.json", api_key=key), 404)
    assert_json_error(get(anon, f"requests/{event.code}.json"), 404)  # not on the open feed


def test_it_finds_a_request_by_its_token(anon, world, key):
    event = reported(world)
    assert as_json(get(anon, f"tokens/{event.token}.json", api_key=key)) == [
        {"service_request_id": event.code, "token": str(event.token)}
    ]
    root = as_xml(get(anon, f"tokens/{event.token}.xml", api_key=key))
    assert root.findtext("request/token") == str(event.token)
    assert_json_error(get(anon, "tokens/not-a-uuid.json", api_key=key), 404)
    outside = reported(world, grid=world.g3, by=world.resident2)
    assert_xml_error(get(anon, f"tokens/{outside.token}.xml", api_key=key), 404)


def test_it_escapes_markup_in_xml(anon, world, key):
    lon, lat = world.point_in(world.g1)
    actions.report(
        by=world.resident,
        channel=Channel.RESIDENT,
        description="<b>墙</b> & \x01涂鸦",
        category=world.graffiti,
        lon=lon,
        lat=lat,
    )
    root = as_xml(get(anon, "requests.xml", api_key=key))
    assert root.findtext("request/description") == "<b>墙</b> & 涂鸦"
    assert Event.objects.count() == 1
