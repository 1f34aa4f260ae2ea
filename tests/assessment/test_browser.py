"""In a real browser: the dashboard draws its charts (ECharts, served locally) and heat map, each chart's table
opens; the command-centre board (1920x1080) shows a new event, a device gone offline and a new alarm live through
the stream, without a reload.

Screenshots go to test-artifacts/; with SHEQU_SCREENSHOTS=docs they are also written to docs/screenshots/ (the
README's)."""

from __future__ import annotations

import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shequ.alerts import live
from shequ.assessment import rollups
from shequ.devices.models import Alarm, Device, DeviceStatus, DeviceType, Outcome, OwnerKind
from shequ.geo.models import Building
from tests.browser import log_in, screenshot

from .story import Story

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def keep(page, name: str) -> None:
    path = screenshot(page, name)
    if os.environ.get("SHEQU_SCREENSHOTS") == "docs":
        DOCS.mkdir(exist_ok=True)
        shutil.copy(path, DOCS / f"{name}.png")


def month_of_events(world) -> None:
    today = timezone.localdate()
    grids = [world.g1, world.g2, world.g4]
    for n in range(14):
        day = today - timedelta(days=1 + n % 10)
        s = Story(world, grid=grids[n % 3], category=[world.litter, world.graffiti][n % 2])
        s.report(f"{day} 09:{n:02}").accept(f"{day} 10:{n:02}")
        if n % 3 != 2:
            s.dispatch(f"{day} 10:30")
        if n % 3 == 0:
            s.handle(f"{day} 15:00").verify(f"{day} 16:00").rate(f"{day} 17:00", 5 - n % 2 * 3)
    rollups.fold()


def street_devices(world) -> list[Device]:
    """Four devices of the first street (smoke detectors, a lift camera, a door magnet offline), one of the other."""
    plan = [
        (world.g1, DeviceType.SMOKE_DETECTOR, DeviceStatus.ACTIVE),
        (world.g2, DeviceType.SMOKE_DETECTOR, DeviceStatus.ACTIVE),
        (world.g4, DeviceType.LIFT_CAMERA, DeviceStatus.ACTIVE),
        (world.g4, DeviceType.DOOR_MAGNET, DeviceStatus.OFFLINE),
        (world.g3, DeviceType.EMERGENCY_BUTTON, DeviceStatus.OFFLINE),
    ]
    made = []
    for n, (grid, kind, status) in enumerate(plan):
        x, y = world.point_in(grid)
        building = Building.objects.create(grid=grid, name=f"{n + 1}栋", address=f"幸福路{n + 1}栋", lon=x, lat=y)
        made.append(
            Device.objects.create(
                code=f"B-{n}",
                name=f"{DeviceType(kind).label}{n + 1}",
                type=kind,
                building=building,
                grid=grid,
                area_code=grid.code,
                owner_kind=OwnerKind.COMMUNITY,
                status=status,
            )
        )
    Alarm.objects.create(device=made[3], outcome=Outcome.NOTIFIED, note="门磁离线前告警")
    return made


def test_the_dashboard_draws_every_chart_with_its_table(browser_page, live_server, world):
    month_of_events(world)
    page = browser_page
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server.url, "s1dispatch")
    page.goto(f"{live_server.url}/assessment/dashboard/")
    for key in ("trend", "categories", "channels", "rates", "overdue"):
        expect(page.locator(f'[data-chart="{key}"]')).to_have_attribute("data-drawn", "1")
        assert page.locator(f'[data-chart="{key}"] canvas').count() == 1
    expect(page.locator("#heat-map")).to_have_attribute("data-drawn", "1")
    table = page.locator('[data-table="rates"]')
    expect(table).to_be_hidden()
    page.click('[data-toggle-table="rates"]')
    expect(table).to_be_visible()
    assert "响应率" in table.inner_text()
    with page.expect_download() as download:
        page.click('[data-export="categories"]')
    assert download.value.suggested_filename.startswith("categories-")
    assert page.evaluate("typeof window.echarts") == "object"  # from /static/, no network beyond the server
    keep(page, "assessment-dashboard")


def test_the_wall_board_shows_a_new_event_live(browser_page, live_server, world, settings):
    settings.SHEQU_ALERT_STREAM_POLL = 1
    settings.SHEQU_ALERT_STREAM_HEARTBEAT = 1
    month_of_events(world)
    devices = street_devices(world)
    page = browser_page
    page.set_viewport_size({"width": 1920, "height": 1080})
    log_in(page, live_server.url, "s1dispatch")
    try:
        with page.expect_response(lambda r: "/alerts/stream/" in r.url):
            page.goto(f"{live_server.url}/assessment/board/")
        expect(page.locator("body")).to_have_attribute("data-map", "1")
        before = page.locator("[data-kpi=reported]").inner_text()
        page.evaluate("window.stillTheSamePage = true")
        fresh = Story(world, grid=world.g4).report(f"{timezone.localdate()} 00:05")
        expect(page.locator(f'[data-event="{fresh.event.code}"]')).to_be_visible(timeout=15_000)
        assert page.evaluate("window.stillTheSamePage") is True
        assert int(page.locator("[data-kpi=reported]").inner_text()) == int(before) + 1
        # The devices panel: the street's devices by state and type (G3's are the other street's), live too.
        expect(page.locator('[data-device-state="active"]')).to_have_text("3")
        expect(page.locator('[data-device-state="offline"]')).to_have_text("1")
        assert page.locator('[data-device-type="emergency_button"]').count() == 0
        expect(page.locator("[data-device-types] tbody tr")).to_have_count(3)  # smoke, lift camera, door magnet
        Device.objects.filter(pk=devices[0].pk).update(status=DeviceStatus.OFFLINE)
        alarm = Alarm.objects.create(device=devices[0], outcome=Outcome.EVENT, note="烟雾浓度超限")
        expect(page.locator('[data-device-state="offline"]')).to_have_text("2", timeout=15_000)
        expect(page.locator(f'[data-alarm="{alarm.pk}"]')).to_be_visible()
        assert page.evaluate("window.stillTheSamePage") is True
        keep(page, "assessment-wall-board")
    finally:
        page.close()
        deadline = time.monotonic() + 30
        while live.open_streams() and time.monotonic() < deadline:
            time.sleep(0.2)
