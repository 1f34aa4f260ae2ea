"""A resident applies for a certificate and orders a service on a phone (390x844) in a real browser; the
screenshots go to test-artifacts/ and docs/screenshots/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from shequ.access.models import Role, Unit
from shequ.core import clock
from shequ.services.affairs import actions
from shequ.services.models import Application, AppStatus, Provider, ProviderKind, Service, ServiceOrder, Slot
from tests.browser import log_in, screenshot
from tests.world import user

from .conftest import png

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def phone(chromium) -> Iterator:
    context = chromium.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=1,
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


def shot(page, name: str) -> None:
    path = screenshot(page, name)
    DOCS.mkdir(exist_ok=True)
    shutil.copy(path, DOCS / path.name)


def test_a_resident_applies_for_a_certificate_on_a_phone(phone, live_server, world, people, residence_affair, tmp_path):
    page = phone
    log_in(page, live_server.url, "resident")
    page.goto(f"{live_server.url}/services/my/")
    assert fits_the_screen(page)
    shot(page, "services-phone-affairs")
    with page.expect_navigation():
        page.click(f"[data-affair='{residence_affair.code}']")
    assert page.locator("[data-known], input[name=name]").count() >= 1  # shown or prefilled from the base
    page.fill("input[name=hukou_address]", "广东省深圳市福田区一路1号")
    page.fill("input[name=purpose]", "子女入学")
    scan = tmp_path / "id.png"
    scan.write_bytes(png().read())
    page.set_input_files("input[name=id_card]", str(scan))
    assert fits_the_screen(page)
    shot(page, "services-phone-apply")
    with page.expect_navigation():
        page.click("[data-submit=apply]")
    app = Application.objects.get()
    assert page.locator(f"[data-application='{app.number}'] [data-status]").get_attribute("data-status") == "submitted"

    actions.review(actions.accept(app, by=world.community_staff), by=world.community_staff)
    assert Application.objects.get().status == AppStatus.APPROVED
    page.reload()
    assert page.locator("[data-link=certificate]").count() == 1
    assert fits_the_screen(page)
    shot(page, "services-phone-approved")
    with page.expect_download() as download:
        page.evaluate(
            "url => { const a = document.createElement('a'); a.href = url; a.download = 'c.pdf'; "
            "document.body.appendChild(a); a.click(); }",
            page.locator("[data-link=certificate]").get_attribute("href"),
        )
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    page.goto(f"{live_server.url}/services/verify/?code={app.certificate.code}")
    assert page.locator("[data-result=valid]").count() == 1
    shot(page, "services-phone-verify")
    page.goto(f"{live_server.url}/services/verify/?code=FORGEDCODEFORGEDCODE")
    assert page.locator("[data-result=unknown]").count() == 1


def test_a_resident_orders_a_service_on_a_phone(phone, live_server, world, people):
    unit = Unit.objects.create(code="S1-YL", name="安康居家养老服务中心", region=world.s1)
    provider = Provider.objects.create(name="安康居家养老", kind=ProviderKind.HOME_CARE, unit=unit, area=world.s1)
    service = Service.objects.create(provider=provider, name="助洁服务", area=world.c1, free=True)
    start = clock.now() + timedelta(days=2)
    slot = Slot.objects.create(service=service, start=start, end=start + timedelta(hours=2), capacity=3)
    user("carestaff", Role.PROVIDER, unit=unit)
    page = phone
    log_in(page, live_server.url, "resident")
    page.goto(f"{live_server.url}/services/my/services/")
    assert fits_the_screen(page)
    shot(page, "services-phone-services")
    with page.expect_navigation():
        page.click(f"[data-service='{service.pk}']")
    page.select_option("select[name=slot]", str(slot.pk))
    page.fill("textarea[name=request]", "打扫厨房")
    shot(page, "services-phone-order")
    with page.expect_navigation():
        page.click("[data-submit=order]")
    order = ServiceOrder.objects.get()
    assert page.locator(f"[data-order='{order.number}'] [data-status]").get_attribute("data-status") == "placed"
    assert fits_the_screen(page)
    shot(page, "services-phone-ordered")


def test_a_provider_publishes_a_service_and_its_times_on_a_phone(phone, live_server, world):
    unit = Unit.objects.create(code="S1-YL", name="安康居家养老服务中心", region=world.s1)
    Provider.objects.create(name="安康居家养老", kind=ProviderKind.HOME_CARE, unit=unit, area=world.s1)
    user("carestaff", Role.PROVIDER, unit=unit)
    page = phone
    log_in(page, live_server.url, "carestaff")
    page.goto(f"{live_server.url}/services/provider/services/")
    assert page.locator("[data-empty]").count() == 1
    page.fill("input[name=name]", "助浴服务")
    page.select_option("select[name=area]", str(world.c1.pk))
    page.select_option("select[name=free]", "0")
    page.fill("input[name=price]", "40")
    page.fill("input[name=price_unit]", "次")
    assert fits_the_screen(page)
    shot(page, "services-phone-provider-publish")
    with page.expect_navigation():
        page.click("[data-submit=publish]")
    service = Service.objects.get(name="助浴服务")
    assert (service.free, service.price, service.area_id) == (False, 40, world.c1.pk)
    day = clock.now() + timedelta(days=3)
    page.fill("input[name=start]", f"{day:%Y-%m-%d}T09:00")
    page.fill("input[name=end]", f"{day:%Y-%m-%d}T11:00")
    page.fill("input[name=capacity]", "4")
    with page.expect_navigation():
        page.click("[data-submit=add-slot]")
    slot = Slot.objects.get(service=service)
    assert slot.capacity == 4 and page.locator(f"[data-slot='{slot.pk}']").count() == 1
    assert fits_the_screen(page)
    shot(page, "services-phone-provider-service")
