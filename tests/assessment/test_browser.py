"""In a real browser: the dashboard draws its charts (ECharts, served locally) and heat map, each chart's table
opens; the command-centre board (1920x1080) shows a new event live through the stream, without a reload.

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
        keep(page, "assessment-wall-board")
    finally:
        page.close()
        deadline = time.monotonic() + 30
        while live.open_streams() and time.monotonic() < deadline:
            time.sleep(0.2)
