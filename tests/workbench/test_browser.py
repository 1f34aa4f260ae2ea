"""The workbench in a real browser: log in, see the to-do, accept and dispatch an event."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shequ.events.models import Status
from tests.browser import log_in, screenshot

from .conftest import report

pytestmark = pytest.mark.browser


def test_it_takes_an_event_from_the_to_do_to_dispatch(browser_page, live_server, world):
    page = browser_page
    event = report(world, category=world.graffiti, description="小区东门垃圾桶满溢，气味较大", address="一路1号东门")
    log_in(page, live_server.url, "c1staff")

    assert page.url == f"{live_server.url}/"
    card = page.locator("[data-todo=to_accept]")
    assert card.locator("h2").inner_text() == "待受理"
    assert card.locator("[data-count]").inner_text() == "1"
    screenshot(page, "workbench-home")

    with page.expect_navigation():
        card.get_by_role("link", name=event.code).click()
    assert page.locator(".detail-title [data-status]").get_attribute("data-status") == Status.REPORTED
    assert page.locator("[data-action]").evaluate_all("forms => forms.map(f => f.dataset.action)") == [
        "accept",
        "reject",
    ]
    assert page.locator("#minimap .leaflet-interactive").count() == 2  # the grid polygon and the point
    screenshot(page, "workbench-detail-reported")

    page.select_option("[data-action=accept] select[name=category]", str(world.litter.pk))
    with page.expect_navigation():
        page.click("[data-submit=accept]")
    assert page.locator(".message-success").inner_text() == "已受理立案。"
    assert page.locator(".detail-title [data-status]").get_attribute("data-status") == Status.ACCEPTED
    suggested = page.locator("[data-action=dispatch] select[name=unit]").input_value()
    assert suggested == str(world.sanitation.pk)

    with page.expect_navigation():
        page.click("[data-submit=dispatch]")
    assert page.locator(".message-success").inner_text() == "已派遣。"
    assert page.locator(".detail-title [data-status]").get_attribute("data-status") == Status.DISPATCHED
    assert page.locator("[data-timeline]").evaluate_all("li => li.map(e => e.dataset.timeline)") == [
        "report",
        "accept",
        "dispatch",
    ]
    screenshot(page, "workbench-detail-dispatched")
    event.refresh_from_db()
    assert (event.status, event.unit, event.category) == (Status.DISPATCHED, world.sanitation, world.litter)


def test_it_filters_the_list_in_place_and_keeps_the_url(browser_page, live_server, world):
    page = browser_page
    waiting = report(world, description="路灯不亮")
    other = report(world, grid=world.g2, description="占道经营")
    log_in(page, live_server.url, "c1staff")
    page.goto(f"{live_server.url}/events/")
    assert page.locator("[data-event]").count() == 2

    with page.expect_response(lambda r: "/events/?" in r.url and r.request.headers.get("hx-request") == "true"):
        page.select_option("#id_area", world.g2.code)
    # expect() polls from Playwright's side: a page-side predicate is an eval, which the CSP refuses
    expect(page.locator("[data-event]")).to_have_count(1)
    assert page.locator("[data-event]").get_attribute("data-event") == other.code
    assert f"area={world.g2.code}" in page.url
    assert page.locator("link[rel=stylesheet]").count() == 1  # the page was swapped in place, not reloaded
    screenshot(page, "workbench-list-filtered")

    page.reload()
    assert page.locator("#id_area").input_value() == world.g2.code
    assert waiting.code not in page.content()


def test_it_draws_the_map_without_tiles(browser_page, live_server, world):
    page = browser_page
    report(world)
    log_in(page, live_server.url, "c1staff")
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#map[data-ready=true]")
    assert page.locator("#map-summary").inner_text() == "显示全部 1 件未办结事件。"
    assert page.locator(".leaflet-tile").count() == 0
    assert page.locator("#map .leaflet-overlay-pane canvas").count() == 1  # polygons and markers drawn
    screenshot(page, "workbench-map")
