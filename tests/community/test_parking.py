"""Parking in the portal's getting-around page and the API: the free spaces of the home community's car parks, as
the devices app's vehicle gates count them; an empty state where the community has none."""

from __future__ import annotations

import json
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from shequ.core import clock
from shequ.devices import actions as devices
from shequ.devices.actions import DeviceInput
from tests.world import token_for

from .conftest import building_in, person_in


def gate_in_c1(world):
    """A car park of 5 spaces at G1's building and its vehicle gate; a car park in C3 that must not show."""
    building = building_in(world.g1)
    park = devices.create_car_park(by=None, name="一网格地面停车场", building=building, spaces=5)
    devices.create_car_park(by=None, name="三社区停车场", building=building_in(world.g3), spaces=9)
    gate, key = devices.create_device(
        by=None,
        data=DeviceInput(
            code="VG-API-1", name="道闸", type="vehicle_gate", building=building, owner_kind="community", car_park=park
        ),
    )
    return park, gate, key


def plate(client: Client, gate, key: str, number: str, direction: str, at) -> None:
    body = {"type": "plate", "plate": number, "direction": direction, "at": timezone.localtime(at).isoformat()}
    resp = client.post(
        f"/api/devices/{gate.code}/messages", json.dumps(body), content_type="application/json", HTTP_X_DEVICE_KEY=key
    )
    assert resp.status_code == 202, resp.content


def test_the_portal_and_the_api_show_the_gate_counts_of_the_home_community(world):
    person_in(world.g1, account=world.resident)
    park, gate, key = gate_in_c1(world)
    client, now = Client(), clock.now()
    for i, (number, direction) in enumerate(
        [("粤B10001", "in"), ("粤B10002", "in"), ("粤B10003", "in"), ("粤B10001", "out")]
    ):
        plate(client, gate, key, number, direction, now - timedelta(seconds=10 - i))
    park.refresh_from_db()
    assert (park.occupied, park.free) == (2, 3)
    client.force_login(world.resident)
    page = client.get("/portal/community/around/").content.decode()
    assert 'data-panel="parking"' in page and "一网格地面停车场" in page
    assert 'data-free="3"' in page and "三社区停车场" not in page
    api = Client().get("/api/community/around", headers={"Authorization": f"Bearer {token_for(world.resident)}"})
    parking = api.json()[0]["panels"]["parking"]["car_parks"]
    assert [(p["name"], p["spaces"], p["free"]) for p in parking] == [("一网格地面停车场", 5, 3)]


def test_a_community_without_car_parks_shows_the_empty_state(world):
    person_in(world.g3, account=world.resident2)
    client = Client()
    client.force_login(world.resident2)
    page = client.get("/portal/community/around/").content.decode()
    assert 'data-panel="parking"' in page and "data-car-park" not in page
    assert "本社区暂无停车场上报空余车位。" in page  # the empty state, in Chinese
    api = Client().get("/api/community/around", headers={"Authorization": f"Bearer {token_for(world.resident2)}"})
    assert api.json()[0]["panels"]["parking"] == {"car_parks": []}
