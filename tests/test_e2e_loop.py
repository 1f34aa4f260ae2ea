"""The whole loop through the pages, in a real browser: a resident reports on the
portal (phone-sized), the community desk accepts and dispatches, the sanitation
team handles, the grid worker verifies, and the resident rates 5 stars.

A screenshot of each step goes to test-artifacts/e2e/.
"""

from __future__ import annotations

import re
import struct
import zlib

import pytest

from shequ.events.models import Event, Status
from tests.browser import ARTIFACTS, PASSWORD, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "e2e"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The world's sixteen users would take seconds each with the production hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def photo_png(width: int = 64, height: int = 48) -> bytes:
    """A real PNG with a simple gradient, built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 4 % 256, y * 5 % 256, 120)) for x in range(width)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def shot(page, name: str) -> None:
    """A full-page PNG; the portal's fixed tab bar is pinned to the page's end so it does not cover the middle."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    if page.locator(".tabbar").count():
        # Through the CSSOM: the content security policy refuses an injected <style> element, as it should.
        page.evaluate("document.querySelector('.tabbar').style.setProperty('position', 'static', 'important')")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def status_of(page) -> str:
    return page.locator("[data-status]").first.get_attribute("data-status")


def act(page, action: str) -> None:
    """Submit a workbench action form and wait for the page it lands on."""
    with page.expect_navigation():
        page.click(f"form[data-action={action}] [data-submit={action}]")


def staff_opens(page, base: str, username: str, code: str) -> None:
    page.context.clear_cookies()
    log_in(page, base, username)
    page.goto(f"{base}/events/{code}/")


def test_it_runs_the_whole_loop_through_the_pages(world, live_server, chromium, browser_page):
    base = live_server.url
    phone_context = chromium.new_context(**PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    phone = phone_context.new_page()
    phone.set_default_timeout(15_000)
    try:
        # 1. The resident signs in on the portal and reports: category, description, photo, a tap on the map.
        phone.goto(f"{base}/portal/login/")
        shot(phone, "00-portal-login")
        phone.fill("input[name=username]", world.resident.username)
        phone.fill("input[name=password]", PASSWORD)
        with phone.expect_navigation():
            phone.click("[data-submit=login]")
        assert phone.url == f"{base}/portal/"
        phone.wait_for_selector("[data-map][data-ready='1']")
        shot(phone, "01-portal-report-empty")

        phone.fill("[data-category-search]", "垃圾")
        assert phone.locator("label.chip:has-text('噪声扰民')").is_hidden()
        phone.click("label.chip:has-text('暴露垃圾')")
        phone.fill("textarea[name=description]", "小区一网格东侧垃圾堆积，已经两天没人清理")
        phone.set_input_files(
            "[data-photo-picker][multiple]",
            files=[{"name": "litter.png", "mimeType": "image/png", "buffer": photo_png()}],
        )
        assert phone.locator("[data-photo-thumbs] li").count() == 1
        # Tap the middle of grid G1, where Leaflet puts its name (the label lets taps through to the map).
        phone.locator("[data-map]").scroll_into_view_if_needed()
        label = phone.locator(".grid-label", has_text="一网格").bounding_box()
        phone.touchscreen.tap(label["x"] + label["width"] / 2, label["y"] + label["height"] / 2)
        assert phone.locator("[data-location-status]").inner_text() == "已选位置：一网格"
        phone.fill("input[name=address]", "一网格东侧垃圾站")
        shot(phone, "02-portal-report-filled")
        with phone.expect_navigation():
            phone.click("[data-submit=report]")
        code = re.search(r"/portal/reports/([^/]+)/$", phone.url).group(1)
        assert status_of(phone) == Status.REPORTED
        assert "上报成功" in phone.inner_text(".flash")
        shot(phone, "03-portal-reported")
        event = Event.objects.get(code=code)
        assert (event.category, event.grid, event.photos.count()) == (world.litter, world.g1, 1)

        # 2. The community desk accepts it and dispatches it (the responsibility list names the sanitation team).
        staff = browser_page
        staff_opens(staff, base, world.community_staff.username, code)
        assert status_of(staff) == Status.REPORTED
        shot(staff, "04-workbench-to-accept")
        act(staff, "accept")
        assert status_of(staff) == Status.ACCEPTED
        act(staff, "dispatch")
        assert status_of(staff) == Status.DISPATCHED
        shot(staff, "05-workbench-dispatched")

        # 3. The sanitation team handles it, with a photo of the result.
        staff_opens(staff, base, world.handler.username, code)
        staff.fill("form[data-action=handle] textarea[name=result]", "已安排保洁员清运，现场已清理干净")
        staff.set_input_files(
            "form[data-action=handle] input[type=file]",
            files=[{"name": "after.png", "mimeType": "image/png", "buffer": photo_png(48, 48)}],
        )
        act(staff, "handle")
        assert status_of(staff) == Status.HANDLED
        shot(staff, "06-workbench-handled")

        # 4. The grid worker checks on site and closes it.
        staff_opens(staff, base, world.grid_worker.username, code)
        act(staff, "verify")
        assert status_of(staff) == Status.CLOSED
        shot(staff, "07-workbench-verified")

        # 5. The resident sees the result and rates it 5 stars.
        phone.goto(f"{base}/portal/reports/{code}/")
        assert status_of(phone) == Status.CLOSED
        assert "已清理干净" in phone.inner_text("[data-section=result]")
        phone.click("form[data-action=rate] [data-star='5']")
        assert phone.locator("[data-reopen]").is_hidden()
        phone.fill("form[data-action=rate] textarea[name=comment]", "处理很及时，谢谢！")
        shot(phone, "08-portal-rate")
        with phone.expect_navigation():
            phone.click("[data-submit=rate]")
        assert "感谢您的评价" in phone.inner_text(".flash")
        assert phone.locator("form[data-action=rate]").count() == 0
        shot(phone, "09-portal-rated")

        phone.goto(f"{base}/portal/reports/")
        shot(phone, "10-portal-my-reports")
    finally:
        phone_context.close()

    event.refresh_from_db()
    assert (event.status, event.rating, event.rating_comment) == (Status.CLOSED, 5, "处理很及时，谢谢！")
    assert list(event.timeline.values_list("action", flat=True)) == [
        "report",
        "accept",
        "dispatch",
        "handle",
        "verify_pass",
        "rate",
    ]
    assert sorted(event.photos.values_list("stage", flat=True)) == ["handle", "report"]
