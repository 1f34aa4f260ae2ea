"""Composing in a real browser: the area drawn on the Leaflet map, the counts, and a second person approving."""

from __future__ import annotations

import pytest

from shequ.alerts import fanout, sending
from shequ.alerts.models import Alert, OutboxMessage, State
from shequ.events.models import Event
from tests.browser import log_in, screenshot

from .conftest import approved, building_at, resident_in

pytestmark = pytest.mark.browser


def test_it_draws_a_polygon_and_a_second_person_approves(browser_page, live_server, world, staff_c1b):
    page = browser_page
    resident_in(building_at(world.g1, 114.0548, 22.545), phone="13800000001")
    log_in(page, live_server.url, "c1staff")
    page.goto(f"{live_server.url}/alerts/")
    assert page.locator("[data-empty]").count() == 1
    with page.expect_navigation():
        page.click("[data-template=gas-leak]")
    assert page.input_value("input[name=headline]") == "燃气泄漏：请立即疏散"

    page.check("input[name=area_kind][value=polygon]")
    assert page.locator("[data-area=regions]").is_hidden()
    page.wait_for_selector("#area-map[data-ready=true]")
    box = page.locator("#area-map").bounding_box()
    # Three clicks around the middle of the map (C1 fills it): a triangle over G1 and G2.
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-80, -80), (80, -80), (0, 90)):
        page.mouse.click(cx + dx, cy + dy)
    assert '"Polygon"' in page.input_value("input[name=polygon]")
    page.fill("input[name=area_desc]", "一社区中部")
    screenshot(page, "alerts-compose-polygon")
    with page.expect_navigation():
        page.click("[data-submit=save]")
    alert = Alert.objects.get()
    assert alert.polygon is not None and len(alert.polygon["coordinates"][0]) == 4
    assert page.locator("[data-count=residents]").inner_text() == "1"

    with page.expect_navigation():
        page.click("[data-submit=submit]")
    assert page.locator("[data-state]").first.get_attribute("data-state") == State.PENDING
    assert page.locator("[data-submit=approve]").count() == 0  # not for the composer

    page.context.clear_cookies()
    log_in(page, live_server.url, "c1staff2")
    page.goto(f"{live_server.url}/alerts/{alert.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("[data-submit=approve]")
    assert page.locator("[data-state]").first.get_attribute("data-state") == State.APPROVED
    assert page.locator("[data-in-force]").count() == 1
    screenshot(page, "alerts-detail-approved")
    alert.refresh_from_db()
    assert (alert.state, alert.approver) == (State.APPROVED, staff_c1b)
    page.goto(f"{live_server.url}/alerts/")
    assert page.locator(f"[data-alert='{alert.pk}'] [data-state]").inner_text() == "已发布"
    screenshot(page, "alerts-list")


def test_a_resident_answers_from_the_sms_link_on_a_phone(browser_page, live_server, world, staff_c1b, town, settings):
    settings.SHEQU_PUBLIC_URL = live_server.url
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    alert = approved(world.community_staff, staff_c1b, regions=[world.c1])
    fanout.fan_out(alert)
    sending.send_due()
    text = OutboxMessage.objects.get(to="13800000002").text
    link = text[text.index(live_server.url) :]
    page.goto(link)
    assert alert.headline in page.inner_text("h2")
    buttons = page.locator("[data-answer]")
    assert buttons.count() == 3
    assert all(buttons.nth(i).bounding_box()["height"] >= 44 for i in range(3))  # thumb-sized on a phone
    with page.expect_navigation():
        page.click("[data-answer=need_help]")
    assert page.locator("[data-answered=need_help]").count() == 1
    screenshot(page, "alerts-answer-link-phone")
    assert Event.objects.filter(level__code="urgent").count() == 1
