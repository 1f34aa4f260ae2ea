"""Authentication in the browser: the lockout page after five wrong passwords (even with the right one), enrolling
and using two-factor sign-in with a code computed from the key on the page, and the main staff and portal pages
loading with no content security policy violation."""

from __future__ import annotations

import pytest

from shequ.events import actions
from shequ.events.models import Channel
from tests.browser import PASSWORD, log_in, screenshot

from .authkit import code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_five_wrong_passwords_show_the_lockout_page_even_for_the_right_one(browser_page, live_server, world):
    page = browser_page
    for _ in range(5):
        log_in(page, live_server.url, "c1staff", "wrong-password")
    assert page.locator("[data-page=locked-out]").count() == 1
    log_in(page, live_server.url, "c1staff", PASSWORD)
    assert page.locator("[data-page=locked-out]").count() == 1
    assert "账号已锁定" in page.inner_text("main")
    assert "分钟后再试" in page.inner_text("main")
    screenshot(page, "auth-lockout")


def test_staff_enrol_two_factor_and_need_the_code_at_every_sign_in(browser_page, live_server, world, settings):
    settings.SHEQU_2FA = "required"
    page = browser_page
    log_in(page, live_server.url, "c1staff")
    assert "/account/2fa/enrol/" in page.url
    assert page.locator("img[data-qr]").evaluate("img => img.complete && img.naturalWidth > 0")
    secret = page.inner_text("[data-secret]")
    screenshot(page, "auth-2fa-enrol")
    page.fill("input[name=code]", code_for(secret))
    with page.expect_navigation():
        page.click("[data-submit=otp-enrol]")
    assert page.locator("[data-recovery-codes] li").count() == 10
    with page.expect_navigation():
        page.click("[data-continue]")
    assert page.url.rstrip("/") == live_server.url
    with page.expect_navigation():
        page.click("[data-submit=logout]")

    # the next sign-in asks for the code (the next time step's: the enrolment used this one's)
    log_in(page, live_server.url, "c1staff", otp=code_for(secret, ahead=1))
    assert page.url.rstrip("/") == live_server.url
    assert page.locator("[data-submit=logout]").count() == 1
    with page.expect_navigation():
        page.click("[data-submit=logout]")

    # a wrong code is refused, and the workbench stays closed
    log_in(page, live_server.url, "c1staff", otp="000000")
    assert "/account/2fa/verify/" in page.url
    assert page.locator("[data-error=code]").count() == 1
    screenshot(page, "auth-2fa-wrong-code")
    page.goto(f"{live_server.url}/events/")
    assert "/account/2fa/verify/" in page.url


STAFF_PAGES = [
    "/",
    "/events/",
    "/map/",
    "/registry/",
    "/collection/",
    "/notices/",
    "/alerts/",
    "/geo/grids/",
    "/audit/",
    "/account/security/",
    "/api/docs",
    "/admin/",
]
PORTAL_PAGES = ["/portal/", "/portal/reports/", "/portal/me/", "/alerts/inbox/", "/notices/mine/"]


def watch_violations(page) -> list[str]:
    """Every CSP violation the page reports, as an event and on the console."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return seen


def visit(page, url: str) -> None:
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status < 400, url
    page.wait_for_timeout(300)  # let deferred scripts and htmx run


def test_the_main_pages_load_without_csp_violations(browser_page, live_server, world):
    event = actions.report(
        by=world.resident,
        channel=Channel.RESIDENT,
        description="楼下垃圾堆积",
        category=world.litter,
        lon=world.point_in(world.g1)[0],
        lat=world.point_in(world.g1)[1],
    )
    page = browser_page
    violations = watch_violations(page)
    log_in(page, live_server.url, "admin")
    for path in [*STAFF_PAGES, f"/events/{event.code}/"]:
        visit(page, f"{live_server.url}{path}")
        if path == "/api/docs":
            page.wait_for_selector(".swagger-ui .info")  # Swagger UI rendered from its own static files
        if path == "/map/":
            page.wait_for_selector(".leaflet-container")
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/portal/login/")
    page.fill("input[name=username]", "resident")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("[data-submit=login]")
    for path in [*PORTAL_PAGES, f"/portal/reports/{event.code}/"]:
        visit(page, f"{live_server.url}{path}")
    assert violations == []
    # the watch works: an inline script is refused and reported
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = '1'; document.head.append(s); }")
    page.wait_for_timeout(300)
    assert any("script-src" in v for v in violations)
    page.goto("about:blank")  # close the pages' alert stream before the server goes away
