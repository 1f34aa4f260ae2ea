"""Browser fixtures: Debian's chromium driven by Playwright, for tests marked ``browser``.

Use from a test folder's conftest.py::

    from tests.browser import browser_page, chromium  # noqa: F401

then ``def test_it_...(browser_page, live_server, world)``. Screenshots go to
test-artifacts/ (git-ignored). Without /usr/bin/chromium the tests skip, except
in CI (CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PASSWORD = "pass-word-123"  # the password tests/world.py gives every persona


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    """One headless chromium for the session; never downloads a browser."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # around it are still synchronous, so Django's async-safety check does not apply.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium) -> Iterator:
    """A fresh page (own cookies) on a 1366×900 desktop, in Chinese and Beijing time."""
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    # An open page's live alert stream runs in the live server's thread; end it before this test's database goes.
    from shequ.alerts import live

    live.close_all()


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, base_url: str, username: str, password: str = PASSWORD, otp: str | None = None) -> None:
    """Log in through the real login form and wait for the page it lands on; with ``otp``, also enter that
    two-factor code on the page that asks for it."""
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("[data-submit=login]")
    if otp is not None:
        page.fill("input[name=code]", otp)
        with page.expect_navigation():
            page.click("[data-submit=otp-verify]")
