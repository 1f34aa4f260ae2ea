"""In a real browser: a street dispatcher makes a subscription (the secret shown once), a change reaches the
receiver and fails, the delivery log shows it, and a confirmed replay sends it again with the same key."""

from __future__ import annotations

import pytest

from shequ.events import actions as loop
from shequ.events.models import Channel
from shequ.webhooks.models import Delivery, DeliveryStatus, Subscription
from tests.browser import log_in, screenshot
from tests.webhooks.conftest import Receiver

pytestmark = pytest.mark.browser


def test_make_a_subscription_watch_it_fail_and_replay(browser_page, live_server, world, receiver: Receiver) -> None:
    receiver.codes = [503, 200]
    page = browser_page
    log_in(page, live_server.url, "s1dispatch")
    page.goto(f"{live_server.url}/webhooks/")
    assert page.locator("[data-empty]").inner_text() == "暂无订阅。"
    with page.expect_navigation():
        page.click("[data-new-subscription]")
    page.fill("input[name=name]", "一社区物业系统")
    page.fill("input[name=url]", receiver.url)
    page.fill("input[name=owner]", world.handler.username)
    page.fill("input[name=areas]", world.c1.code)
    page.check("input[name=actions][value=dispatch]")
    screenshot(page, "webhooks-new")
    with page.expect_navigation():
        page.click("[data-submit=save]")
    sub = Subscription.objects.get()
    assert page.inner_text("[data-secret]") == sub.secret
    with page.expect_navigation():
        page.click("[data-continue]")
    assert "尚无推送" in page.inner_text("[data-empty]")
    assert sub.secret not in page.content()

    # A change the subscription wants: committed, sent after commit, refused by the receiver (503).
    event = loop.report(by=world.resident, channel=Channel.RESIDENT, description="垃圾", category=world.litter,
                        region=world.g1)  # fmt: skip
    loop.dispatch(loop.accept(event, by=world.community_staff), by=world.community_staff)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and len(receiver.received) == 1

    page.reload()
    row = page.locator(f"[data-delivery='{delivery.pk}']")
    assert row.get_attribute("data-status") == "failed" and "失败，待重试" in row.inner_text()
    screenshot(page, "webhooks-log")
    with page.expect_navigation():
        row.locator("[data-open-delivery]").click()
    assert page.locator("[data-attempt]").count() == 1
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("[data-submit=replay]")
    assert "推送将以相同的幂等键再次发送" in page.inner_text(".messages")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    first, second = receiver.received
    assert first.headers["X-Shequ-Delivery"] == second.headers["X-Shequ-Delivery"] == delivery.key
    screenshot(page, "webhooks-replayed")
