"""Reports that arrive without a usable category (hotline imports through the events API, Open311 POSTs) get the
model's category, marked as the machine's in the report's timeline row; other channels keep theirs."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from shequ.events.models import Category, Channel, Event
from tests.world import World, token_for

pytestmark = pytest.mark.django_db

FULL_BIN = "楼下垃圾桶满了溢出来，好几天没人收"


def _api(user_key: str, body: dict):
    client = Client(headers={"Authorization": f"Bearer {user_key}"})
    return client.post("/api/events", json.dumps(body), content_type="application/json")


def _point(w: World) -> dict:
    lon, lat = w.point_in(w.g1)
    return {"lon": lon, "lat": lat}


def test_a_hotline_import_without_a_code_gets_the_machines_category(catalog_world: World):
    w = catalog_world
    resp = _api(token_for(w.system, channel="hotline"), {"description": FULL_BIN, **_point(w)})
    assert resp.status_code == 201, resp.content
    event = Event.objects.get(code=resp.json()["code"])
    assert (event.channel, event.category.code) == (Channel.HOTLINE, "0106")
    note = event.timeline.get(action="report").note
    assert note.startswith("机器建议类别 0106 (") and note.endswith(")")
    assert 0.5 < float(note.split("(")[1].rstrip(")")) <= 1.0


def test_a_hotline_import_with_an_unknown_code_gets_the_machines_category_and_says_so(catalog_world: World):
    w = catalog_world
    resp = _api(token_for(w.system, channel="hotline"), {"description": FULL_BIN, "category": "9999", **_point(w)})
    assert resp.status_code == 201, resp.content
    event = Event.objects.get(code=resp.json()["code"])
    assert event.category.code == "0106"
    assert "9999" in event.timeline.get(action="report").note


def test_a_hotline_import_with_a_good_code_keeps_it_and_no_machine_note(catalog_world: World):
    w = catalog_world
    resp = _api(token_for(w.system, channel="hotline"), {"description": FULL_BIN, "category": "0101", **_point(w)})
    event = Event.objects.get(code=resp.json()["code"])
    assert (event.category.code, event.timeline.get(action="report").note) == ("0101", "")


def test_a_resident_through_the_api_is_not_categorised_by_the_machine(catalog_world: World):
    w = catalog_world
    resp = _api(token_for(w.resident), {"description": FULL_BIN, **_point(w)})
    assert resp.status_code == 201
    event = Event.objects.get(code=resp.json()["code"])
    assert (event.category, event.timeline.get(action="report").note) == (None, "")
    # and an unknown code from anyone else stays an error with its code, creating nothing
    resp = _api(token_for(w.resident), {"description": FULL_BIN, "category": "9999", **_point(w)})
    assert (resp.status_code, resp.json()["code"]) == (400, "unknown_category")
    assert Event.objects.count() == 1


@pytest.mark.parametrize("code", ["", "9999", "01"])
def test_an_open311_post_without_a_usable_service_code_is_categorised(catalog_world: World, code: str):
    w = catalog_world
    lon, lat = w.point_in(w.g2)
    body = {"api_key": token_for(w.system, channel="hotline"), "lat": lat, "long": lon, "description": FULL_BIN}
    if code:
        body["service_code"] = code
    resp = Client().post("/open311/v2/requests.json", body)
    assert resp.status_code == 201, resp.content
    event = Event.objects.get(code=resp.json()[0]["service_request_id"])
    assert event.category.code == "0106"
    note = event.timeline.get(action="report").note
    assert note.startswith("机器建议类别 0106")
    assert ("不在目录中" in note) == bool(code) and (not code or code in note)


def test_an_open311_post_with_nothing_to_go_on_is_still_refused(world: World):
    # no active category the model could name: no suggestion, so the old refusal
    Category.objects.update(active=False)
    lon, lat = world.point_in(world.g2)
    body = {"api_key": token_for(world.resident), "lat": lat, "long": lon, "description": "？？？"}
    resp = Client().post("/open311/v2/requests.json", {**body, "service_code": "9999"})
    assert resp.status_code == 400
    assert "9999" in resp.json()[0]["description"]
    assert Event.objects.count() == 0
