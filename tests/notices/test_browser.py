"""In a real browser: the live Markdown preview, publishing after the confirmation, and the resident's phone view."""

from __future__ import annotations

import pytest

from shequ.notices.models import Notice, NoticeRead, State
from tests.browser import log_in, screenshot

from .conftest import resident_of

pytestmark = pytest.mark.browser


def test_staff_compose_with_a_live_preview_publish_and_a_resident_reads_it(browser_page, live_server, world, chromium):
    page = browser_page
    resident_of(world.g1, world.resident)
    log_in(page, live_server.url, "c1staff")
    page.goto(f"{live_server.url}/notices/new/")
    page.fill("input[name=title]", "停水通知")
    page.fill("textarea[name=body]", "明日 **停水**\n\n<img src=x onerror=alert(1)>")
    page.wait_for_selector("#preview strong")
    assert page.inner_text("#preview strong") == "停水"
    assert "onerror" not in page.inner_html("#preview")
    page.select_option("select[name=regions]", [str(world.c1.pk)])
    screenshot(page, "notices-compose")
    with page.expect_navigation():
        page.click("[data-submit=save]")
    notice = Notice.objects.get()
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("[data-action=publish]")
    assert Notice.objects.get(pk=notice.pk).state == State.PUBLISHED
    screenshot(page, "notices-detail")

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    mobile = phone.new_page()
    try:
        mobile.goto(f"{live_server.url}/portal/login/")
        mobile.fill("input[name=username]", "resident")
        mobile.fill("input[name=password]", "pass-word-123")
        with mobile.expect_navigation():
            mobile.locator("form button[type=submit]").click()
        mobile.goto(f"{live_server.url}/notices/mine/")
        assert mobile.locator("[data-unread]").count() == 1
        screenshot(mobile, "notices-resident-list")
        with mobile.expect_navigation():
            mobile.click(f"[data-notice='{notice.pk}'] a")
        assert mobile.inner_text("[data-body] strong") == "停水"
        screenshot(mobile, "notices-resident-detail")
        assert NoticeRead.objects.filter(notice=notice, user=world.resident).exists()
    finally:
        phone.close()
