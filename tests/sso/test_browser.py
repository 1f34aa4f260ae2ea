"""The whole round trip in a browser: the button, the provider's login and consent pages, back signed in."""

from __future__ import annotations

import pytest

from shequ.sso.models import ExternalIdentity
from tests.browser import PASSWORD, screenshot

pytestmark = pytest.mark.browser


def test_the_button_signs_a_staff_member_in_through_the_provider(browser_page, hosts, city_provider, world):
    page = browser_page
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{hosts.app}/login/")

    with page.expect_navigation():
        page.click("[data-sso=login]")
    assert page.url.startswith(f"{hosts.provider}/login/")  # the provider asks who you are
    page.fill("input[name=username]", "c1staff")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("[data-submit=login]")
    assert page.locator("h1").inner_text() == "是否使用本平台账号登录“社区治理平台”？"
    assert page.locator("[data-scopes] li").all_inner_texts() == [
        "确认您已登录本平台（获得账号的唯一标识）",
        "您的姓名和账号名",
    ]
    screenshot(page, "sso-consent")
    with page.expect_navigation(url=f"{hosts.app}/"):
        page.click("[data-submit=allow]")

    assert page.locator(".who-role").inner_text().startswith("社区工作者")
    assert ExternalIdentity.objects.get().user == world.community_staff
    assert violations == []
