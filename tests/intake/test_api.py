"""POST /api/intake/suggest: the contract and its errors."""

from __future__ import annotations

import pytest
from django.test import Client

from shequ.events import actions
from shequ.events.models import Category, Channel
from tests.world import World, token_for

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_for(user)}"})


def post(client: Client, body: dict):
    return client.post("/api/intake/suggest", body, content_type="application/json")


def test_it_answers_the_contract(catalog_world: World, buildings):
    w = catalog_world
    lon, lat = w.point_in(w.g1)
    resp = post(client_for(w.community_staff), {"text": "楼下垃圾桶满了溢出来，好几天没人收", "lon": lon, "lat": lat})
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert set(body) >= {"category", "alternatives", "level", "grid", "building", "unit", "duplicates"}
    assert body["category"]["code"] == "0106"
    assert body["category"]["name"] == "垃圾满溢"
    assert 0 < body["category"]["score"] <= 1
    assert len(body["alternatives"]) == 4
    assert all(set(a) == {"code", "name", "score"} for a in body["alternatives"])
    assert body["category"]["code"] not in {a["code"] for a in body["alternatives"]}
    assert body["level"]["code"] == "general"
    assert body["grid"] == {"code": w.g1.code, "name": w.g1.name}
    # the duty for group 01 in street S1: city management
    assert body["unit"] == {"code": w.city_mgmt.code, "name": w.city_mgmt.name}
    assert body["duplicates"] == []


def test_it_places_a_report_by_its_address(catalog_world: World, buildings):
    resp = post(client_for(catalog_world.community_staff), {"text": "井盖不见了", "address": "振华路十二号三栋"})
    body = resp.json()
    assert body["category"]["code"] == "0902"
    assert body["building"]["address"] == "振华路12号华航小区3栋"
    assert body["grid"]["code"] == catalog_world.g1.code


def test_an_urgent_word_raises_the_level(catalog_world: World):
    body = post(client_for(catalog_world.resident), {"text": "路边垃圾乱扔，有小孩受伤了"}).json()
    assert body["category"]["code"] == "0101"
    assert body["level"]["code"] == "urgent"


def test_without_a_place_there_is_no_grid_unit_or_duplicates(catalog_world: World):
    body = post(client_for(catalog_world.resident), {"text": "路上井盖不见了"}).json()
    assert body["grid"] is None and body["unit"] is None and body["building"] is None
    assert body["duplicates"] == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"text": ""}, "text_required"),
        ({"text": "   "}, "text_required"),
        ({"text": "垃圾" * 2500 + "多"}, "text_too_long"),
        ({"text": "垃圾", "lon": 114.0}, "bad_coordinates"),
        ({"text": "垃圾", "lon": 200.0, "lat": 22.5}, "bad_coordinates"),
        ({"text": "垃圾", "lon": 114.0, "lat": -95.0}, "bad_coordinates"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_message(catalog_world: World, body, code):
    resp = post(client_for(catalog_world.resident), body)
    assert resp.status_code == 400
    assert resp.json()["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in resp.json()["message"])


def test_a_text_of_five_thousand_characters_is_accepted(catalog_world: World):
    resp = post(client_for(catalog_world.resident), {"text": "垃圾" * 2500})
    assert resp.status_code == 200


def test_a_missing_text_is_a_validation_error(catalog_world: World):
    resp = post(client_for(catalog_world.resident), {})
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"


def test_anonymous_is_refused(catalog_world: World):
    assert post(Client(), {"text": "垃圾"}).status_code == 401


def test_duplicates_shown_to_a_resident_carry_no_personal_data(catalog_world: World):
    w = catalog_world
    lon, lat = w.point_in(w.g1)
    litter = Category.objects.get(code="0106")
    actions.report(
        by=w.resident2,
        channel=Channel.RESIDENT,
        description="张三13800138000反映：楼下垃圾桶满了溢出来，没人收",
        category=litter,
        lon=lon,
        lat=lat,
    )
    # another area's event, just as alike, out of the resident's grid
    ox, oy = w.point_in(w.g3)
    actions.report(by=w.resident2, channel=Channel.RESIDENT, description="楼下垃圾桶满了溢出来，没人收", lon=ox, lat=oy)
    body = post(client_for(w.resident), {"text": "楼下垃圾桶满了溢出来，好几天没人收", "lon": lon, "lat": lat}).json()
    assert len(body["duplicates"]) == 1
    dup = body["duplicates"][0]
    assert "13800138000" not in str(dup) and "张三" not in str(dup)
    assert dup["summary"] == "垃圾满溢（待受理）"
    staff = post(client_for(w.community_staff), {"text": "楼下垃圾桶满了溢出来，好几天没人收", "lon": lon, "lat": lat})
    assert staff.json()["duplicates"][0]["summary"].startswith("张三")


def test_an_address_repeated_in_two_grids_still_routes_when_both_grids_name_one_unit(catalog_world: World):
    from shequ.access.models import Unit
    from shequ.events.models import Category, Duty
    from shequ.geo.models import Building
    from shequ.intake import address

    w = catalog_world
    for grid in (w.g1, w.g2):
        Building.objects.create(grid=grid, name="南天村1巷3号", address="南天村1巷3号", lon=0, lat=0)
    address.forget()
    manhole = Category.objects.get(code="0902")
    roads = Unit.objects.create(code="D-SZ", name="区市政所", region=w.district)
    Duty.objects.create(category=manhole, region=w.district, unit=roads)
    staff = client_for(w.community_staff)
    body = post(staff, {"text": "路上井盖不见了", "address": "南天村1巷3号"}).json()
    assert body["grid"] is None and len(body["candidates"]) == 2
    assert body["unit"]["code"] == "D-SZ"  # the same unit at both grids: the unit is known, the grid is not
    other = Unit.objects.create(code="C1-SZ", name="一社区养护组", region=w.g2.parent)
    Duty.objects.create(category=manhole, region=w.g2, unit=other)
    body = post(staff, {"text": "路上井盖不见了", "address": "南天村1巷3号"}).json()
    assert body["grid"] is None and body["unit"] is None  # the grids' units differ: staff pick the building
