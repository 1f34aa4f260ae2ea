"""An auditor in the browser: sign in through the real form, search the trail with htmx, verify the chain."""

from __future__ import annotations

import pytest

from shequ import audit
from shequ.access.models import Role, User
from tests.browser import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_auditor_searches_and_verifies_in_the_browser(browser_page, live_server, world):
    User.objects.create_user(username="auditor", password="pass-word-123", role=Role.AUDITOR, name="审计员")
    audit.record("reveal", actor=world.community_staff, purpose="核实低保资格", fields=["person.id_number"])
    audit.record("export", actor=world.street_dispatcher, purpose="季度报表")
    page = browser_page
    log_in(page, live_server.url, "auditor")
    page.goto(f"{live_server.url}/audit/")
    # the auditor's account (a grant change), the two above and this sign-in
    assert page.locator("[data-entry]").count() == 4
    page.fill("#id_purpose", "低保")
    page.wait_for_selector("[data-total='1']")
    assert "核实低保资格" in page.inner_text("#results")
    assert "purpose=" in page.url  # the search is in the address bar, so it can be shared and reloaded
    screenshot(page, "audit-list")
    page.click("text=校验审计链")
    page.click("[data-submit=verify]")
    page.wait_for_selector("[data-verdict=ok]")
    assert "审计链完整" in page.inner_text("#verdict")
    screenshot(page, "audit-verify")
