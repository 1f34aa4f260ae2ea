"""A grid worker completes a record on a phone (390px wide) in a real browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shequ.collection import actions
from shequ.collection.models import FieldConfirmation, ItemStatus
from shequ.registry.models import Change, SourceKind
from tests.browser import log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(chromium) -> Iterator:
    context = chromium.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_it_lets_a_grid_worker_complete_an_item_on_a_phone(phone, live_server, world, people):
    task = actions.create_task(grid=world.g1, assignee=world.grid_worker, by=world.community_staff)
    page = phone
    log_in(page, live_server.url, "gridworker")

    page.goto(f"{live_server.url}/collection/")
    assert page.locator("h1").inner_text() == "我的采集任务"
    assert fits_the_screen(page)
    screenshot(page, "collection-phone-my-tasks")
    with page.expect_navigation():
        page.click(f"[data-task='{task.pk}']")
    assert page.locator("[data-progress]").get_attribute("data-progress") == "0/2"
    assert fits_the_screen(page)
    screenshot(page, "collection-phone-task")

    with page.expect_navigation():
        page.get_by_role("link", name="张三").click()
    # Eight fields are stale; the ID number (L4, above a grid worker's clear level) is neither shown nor asked.
    assert page.locator("[data-field]").count() == 7
    assert page.locator("#id_id_number").count() == 0 and "110101198001010010" not in page.content()
    assert page.input_value("#id_phone") == "13800138000"
    assert fits_the_screen(page)
    # A mistake first: the page says what is wrong next to the field and keeps the rest.
    page.fill("#id_phone", "138001")
    page.select_option("#id_residency", "floating")
    with page.expect_navigation():
        page.click("[data-submit=save]")
    assert page.locator("[data-error=phone]").inner_text() == "联系电话应为11位手机号码或带区号的固定电话。"
    assert page.input_value("#id_residency") == "floating"
    screenshot(page, "collection-phone-item-error")

    page.fill("#id_phone", "13900139001")
    page.fill("#id_hukou_address", "广东省深圳市福田区一路1号")
    screenshot(page, "collection-phone-item")
    with page.expect_navigation():
        page.click("[data-submit=save]")
    assert page.locator(".message-success").inner_text() == "张三：已保存，更新了 3 个字段。"
    assert page.locator("[data-progress]").get_attribute("data-progress") == "1/2"
    assert page.locator("[data-item]").count() == 1  # only 李四 is still pending
    assert fits_the_screen(page)
    screenshot(page, "collection-phone-after")

    item = task.items.get(person=people.zhang)
    assert item.status == ItemStatus.UPDATED and item.by == world.grid_worker
    changed = Change.objects.filter(record_id=people.zhang.pk, source_kind=SourceKind.COLLECTION)
    assert sorted(changed.values_list("field", "source_ref")) == [
        ("hukou_address", str(task.pk)),
        ("phone", str(task.pk)),
        ("residency", str(task.pk)),
    ]
    assert FieldConfirmation.objects.filter(record_id=people.zhang.pk, task=task).count() == 8


def test_it_lets_the_community_create_a_task_and_see_coverage(browser_page, live_server, world, people):
    page = browser_page
    log_in(page, live_server.url, "c1staff")
    page.goto(f"{live_server.url}/collection/")
    with page.expect_navigation():
        page.click("[data-link=create]")
    page.select_option("#id_grid", str(world.g1.pk))
    page.select_option("#id_assignee", str(world.grid_worker.pk))
    page.uncheck("input[name=collect][value='person.hukou_address']")
    screenshot(page, "collection-create")
    with page.expect_navigation():
        page.click("[data-submit=create]")
    assert page.locator(".message-success").inner_text() == "任务已创建：共 2 人待核实。"
    assert page.locator("[data-progress]").get_attribute("data-progress") == "0/2"
    screenshot(page, "collection-task-staff")

    page.goto(f"{live_server.url}/collection/coverage/")
    row = page.locator(f"[data-grid='{world.g1.code}']")
    assert row.locator("[data-col=people]").inner_text() == "2"
    assert row.locator("[data-col=percent]").inner_text() == "0%"
    assert page.locator("[data-worker=gridworker] [data-col=assigned]").inner_text() == "2"
    screenshot(page, "collection-coverage")
