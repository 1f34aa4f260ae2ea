"""In a real browser: a resident types a description on the portal's report form and the picker offers the right
category first; a desk user merges a duplicate from the accept page, confirming the dialog."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shequ.events import actions
from shequ.events.models import Category, Channel, Event, Status
from tests.browser import PASSWORD, log_in, screenshot
from tests.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_portal_picker_offers_the_right_category_first(browser_page, live_server, catalog_world: World):
    page, w = browser_page, catalog_world
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/portal/login/")
    page.fill("input[name=username]", w.resident.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("[data-submit=login]")
    assert page.locator("[data-suggested-code]").count() == 0
    with page.expect_response(lambda r: r.url.endswith("/portal/suggest/") and r.status == 200):
        page.locator("textarea[name=description]").press_sequentially("楼下垃圾桶满了溢出来，好几天没人收")
    page.wait_for_selector("[data-suggested-code]")
    # expect() polls from Playwright's side: a page-side predicate is an eval, which the CSP refuses
    expect(page.locator("[data-suggested-code]").first).to_have_attribute("data-suggested-code", "0106", timeout=10_000)
    first = page.locator("[data-suggested-code]").first
    assert first.inner_text() == "垃圾满溢"
    first.click()
    full = Category.objects.get(code="0106")
    assert page.locator("input[name=category]:checked").get_attribute("value") == str(full.pk)
    # the whole catalogue is still there to choose from
    assert page.locator("[data-category-list] input[name=category]").count() == (
        Category.objects.filter(active=True, children__isnull=True).count() + 1
    )
    page.locator("[data-field=category]").scroll_into_view_if_needed()
    screenshot(page, "intake-portal-picker")


def test_a_desk_user_merges_a_duplicate_at_the_accept_page(browser_page, live_server, catalog_world: World):
    page, w = browser_page, catalog_world
    lon, lat = w.point_in(w.g1)
    original = actions.report(
        by=w.resident, channel=Channel.RESIDENT, description="楼下垃圾桶满了溢出来，没人收", lon=lon, lat=lat
    )
    actions.accept(original, by=w.community_staff, category=Category.objects.get(code="0106"))
    dup = actions.report(
        by=w.resident2, channel=Channel.RESIDENT, description="垃圾桶满溢好几天了，臭得很", lon=lon + 0.0002, lat=lat
    )
    log_in(page, live_server.url, w.community_staff.username)
    page.goto(f"{live_server.url}/events/{dup.code}/")
    assert page.locator("[data-suggested-category]").get_attribute("data-suggested-category") == "0106"
    row = page.locator(f"[data-duplicate='{original.code}']")
    assert row.count() == 1
    screenshot(page, "intake-accept-suggestion")

    dialogs: list[str] = []

    def confirm(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", confirm)
    with page.expect_navigation():
        row.locator(f"[data-merge-into='{original.code}']").click()
    assert dialogs and "合并" in dialogs[0]
    assert page.locator(".detail-title [data-status]").get_attribute("data-status") == Status.REJECTED
    assert page.locator("[data-timeline]").evaluate_all("li => li.map(e => e.dataset.timeline)") == ["report", "merge"]
    screenshot(page, "intake-merged")
    dup = Event.objects.get(pk=dup.pk)
    assert (dup.status, dup.merged_into_id, dup.reporter) == (Status.REJECTED, original.pk, w.resident2)
