"""The wall board's devices panel: the devices of the board's area by state and type, and the newest alarms, read
through the devices app's scoped queries; the live stream tells a board when they change."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from shequ.alerts import live
from shequ.assessment import board_devices, boardlive, dashboards
from shequ.assessment.queries import Scope
from shequ.devices.models import Alarm, Device, DeviceStatus, DeviceType, Outcome, OwnerKind
from shequ.geo.models import Building

pytestmark = pytest.mark.django_db


def devices_in(world) -> dict[str, list[Device]]:
    """G1: two smoke detectors (one offline), a lift camera retired; G4 (C2): a gas detector; G3 (the other
    street): an emergency button, offline."""
    made: dict[str, list[Device]] = {}
    plan = [
        (world.g1, DeviceType.SMOKE_DETECTOR, DeviceStatus.ACTIVE),
        (world.g1, DeviceType.SMOKE_DETECTOR, DeviceStatus.OFFLINE),
        (world.g1, DeviceType.LIFT_CAMERA, DeviceStatus.RETIRED),
        (world.g4, DeviceType.GAS_DETECTOR, DeviceStatus.ACTIVE),
        (world.g3, DeviceType.EMERGENCY_BUTTON, DeviceStatus.OFFLINE),
    ]
    for n, (grid, kind, status) in enumerate(plan):
        x, y = world.point_in(grid)
        building = Building.objects.create(grid=grid, name=f"{n}栋", address=f"幸福路{n}栋", lon=x, lat=y)
        device = Device.objects.create(
            code=f"D-{n}",
            name=f"{DeviceType(kind).label}{n}",
            type=kind,
            building=building,
            grid=grid,
            area_code=grid.code,
            owner_kind=OwnerKind.COMMUNITY,
            status=status,
        )
        made.setdefault(grid.code, []).append(device)
    return made


def test_the_panel_counts_the_areas_devices_by_state_and_type(world):
    made = devices_in(world)
    panel = board_devices.panel(world.community_staff, Scope(area=world.c1.code))
    assert (panel["total"], panel["active"], panel["offline"], panel["retired"]) == (3, 1, 1, 1)
    by_type = {t["type"]: (t["active"], t["offline"], t["retired"]) for t in panel["types"]}
    assert by_type == {"smoke_detector": (1, 1, 0), "lift_camera": (0, 0, 1)}
    assert panel["types"][0]["type"] == "smoke_detector"  # the most first
    street = board_devices.panel(world.street_dispatcher, Scope(area=world.s1.code))
    assert (street["total"], street["active"]) == (4, 2)
    # A community staffer asking for another community's board: 404 before this (scope_for); their own only here.
    other = board_devices.panel(world.community_staff_c3, Scope(area=world.c3.code))
    assert (other["total"], other["offline"]) == (1, 1)
    assert board_devices.panel(world.handler, Scope(unit=world.sanitation.pk))["total"] == 0  # owns none
    Alarm.objects.create(device=made[world.g1.code][0], outcome=Outcome.EVENT, note="烟感告警")
    Alarm.objects.create(device=made[world.g3.code][0], outcome=Outcome.NOTIFIED)
    newest = board_devices.panel(world.community_staff, Scope(area=world.c1.code))["alarms"]
    assert [a["device"] for a in newest] == [made[world.g1.code][0].name]
    assert newest[0]["outcome"] == str(Outcome.EVENT.label)


def test_the_board_json_and_page_carry_the_panel_for_the_users_area(world):
    devices_in(world)
    client = Client()
    client.force_login(world.street_dispatcher_s2)
    found = client.get("/assessment/board.json").json()["devices"]
    assert (found["total"], found["offline"]) == (1, 1)
    assert [t["type"] for t in found["types"]] == ["emergency_button"]
    client.force_login(world.community_staff)
    page = client.get("/assessment/board/").content.decode()
    assert 'data-device-state="offline">1<' in page and 'data-device-type="smoke_detector"' in page
    assert 'data-device-type="emergency_button"' not in page  # G3 is not C1's
    assert "<caption>" in page  # the table view of the panel
    assert client.get(f"/assessment/board.json?area={world.c3.code}").status_code == 404
    board = dashboards.board(world.community_staff, Scope(area=world.g2.code))
    assert board["devices"]["total"] == 0 and board["devices"]["types"] == []


def test_the_stream_tells_a_board_when_devices_change(world):
    made = devices_in(world)
    request = RequestFactory().get("/alerts/stream/", {"board": "1", "board_after": str(boardlive.latest())})
    request.user = world.community_staff
    feed = live.Feed(request=request, after=None)
    assert feed.poll() == []
    Device.objects.filter(pk=made[world.g1.code][0].pk).update(status=DeviceStatus.OFFLINE)
    assert [(e.event, e.data) for e in feed.poll()] == [("board", {"events": [], "devices": True})]
    assert feed.poll() == []
    Alarm.objects.create(device=made[world.g1.code][1], outcome=Outcome.EVENT, at=timezone.now())
    assert [e.data for e in feed.poll()] == [{"events": [], "devices": True}]
    Device.objects.filter(pk=made[world.g3.code][0].pk).update(status=DeviceStatus.ACTIVE)  # not C1's
    assert feed.poll() == []
