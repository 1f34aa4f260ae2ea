"""In a real browser: a simulated smoke alarm appears as an event on the staff workbench (list, detail, the map's
devices layer) and as a banner in the portal of the resident of the dwelling."""

from __future__ import annotations

import pytest

from shequ.devices.ingest import hash_key
from shequ.devices.models import Device
from shequ.devices.simulator import Simulator, demo_key
from shequ.events.models import Channel, Event
from tests.browser import PASSWORD, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_simulated_smoke_alarm_reaches_the_workbench_and_the_residents_banner(
    browser_page, chromium, live_server, site, settings
):
    settings.SHEQU_ALERT_STREAM_SECONDS = 1  # the portal's live stream ends at once: this test reads the page
    smoke = site.device("smoke_detector")
    Device.objects.filter(pk=smoke.pk).update(key_hash=hash_key(demo_key(smoke.code)))
    simulator = Simulator(url=live_server.url)
    simulator.send(smoke, simulator.alarm(smoke) or {})
    assert simulator.sent.ok == 1
    event = Event.objects.get(channel=Channel.DEVICE)

    staff = browser_page
    log_in(staff, live_server.url, "c1staff")
    staff.goto(f"{live_server.url}/events/")
    row = staff.locator(f"[data-event='{event.code}']")
    assert row.count() == 1
    with staff.expect_navigation():
        row.locator("a").first.click()
    body = staff.inner_text("body")
    assert "烟感报警" in body and smoke.code in body and "一网格幸福路5栋 502" in body
    screenshot(staff, "devices-smoke-event")
    staff.goto(f"{live_server.url}/map/")
    staff.wait_for_selector("#map[data-devices='11']")

    resident = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    resident.goto(f"{live_server.url}/portal/login/")
    resident.fill("input[name=username]", "resident")
    resident.fill("input[name=password]", PASSWORD)
    with resident.expect_navigation():
        resident.click("[data-submit=login]")
    resident.goto(f"{live_server.url}/portal/parking/")
    banner = resident.locator("[data-alert-banner]")
    banner.wait_for()
    assert "烟感报警" in banner.inner_text() and "502" in banner.inner_text()
    assert "幸福停车场" in resident.inner_text("body")
    screenshot(resident, "devices-smoke-banner-phone")
    resident.context.close()
