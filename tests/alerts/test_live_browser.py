"""In a real browser: a resident's open portal page shows the live alert banner without a reload, the resident
answers 已安全 from it, and the acknowledgement reaches the staff board (htmx polling)."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from shequ.alerts import live
from shequ.alerts.models import Alert
from tests.browser import PASSWORD, log_in, screenshot

from .conftest import approved

pytestmark = pytest.mark.browser


def _portal_log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/portal/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("[data-submit=login]")


def test_the_open_page_shows_the_alert_live_and_the_answer_reaches_the_board(
    browser_page, chromium, live_server, world, staff_c1b, town, settings
):
    settings.SHEQU_ALERT_STREAM_POLL = 1
    settings.SHEQU_ALERT_STREAM_HEARTBEAT = 1  # a page that went away is noticed at the next heartbeat
    resident = browser_page
    resident.set_viewport_size({"width": 390, "height": 844})
    _portal_log_in(resident, live_server.url, "resident")
    with resident.expect_response(lambda r: "/alerts/stream/" in r.url) as opened:
        resident.goto(f"{live_server.url}/portal/me/")
    assert opened.value.headers["content-type"].startswith("text/event-stream")
    assert resident.locator("[data-alert-banner]").count() == 0
    resident.evaluate("window.stillTheSamePage = true")  # gone if the page reloads

    # Compose, submit, and a second person approves; approval fans out, then the deliveries go.
    alert = approved(world.community_staff, staff_c1b, regions=[world.c1])
    call_command("send_deliveries", "--once")

    banner = resident.locator(f"[data-alert-banner='{alert.pk}']")
    banner.wait_for()
    assert resident.evaluate("window.stillTheSamePage") is True
    assert alert.headline in banner.inner_text()
    screenshot(resident, "alerts-live-banner-phone")

    staff_context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    try:
        board = staff_context.new_page()
        board.set_default_timeout(15_000)
        log_in(board, live_server.url, "c1staff")
        board.goto(f"{live_server.url}/alerts/{alert.pk}/board/")
        answered = board.locator("[data-grid=total] [data-col=acknowledged]")
        expect(answered).to_have_text("0")

        with resident.expect_navigation():
            banner.locator("[data-answer=safe]").click()
        assert resident.url == f"{live_server.url}/portal/me/"  # back where the resident was
        assert resident.locator("[data-alert-banner]").count() == 0

        expect(answered).to_have_text("1", timeout=15_000)  # the board's next htmx refresh
        screenshot(board, "alerts-live-board-answered")
    finally:
        staff_context.close()
        resident.close()
        # The live server outlives this test: let its streams notice the pages are gone before the database is
        # emptied under them.
        deadline = time.monotonic() + 30
        while live.open_streams() and time.monotonic() < deadline:
            time.sleep(0.2)
    assert Alert.objects.get(pk=alert.pk).deliveries.filter(person=town.reader, ack="safe").exists()
    assert live.open_streams() == 0
