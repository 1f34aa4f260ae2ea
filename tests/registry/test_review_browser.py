"""The review queue in a real browser: compare, choose a value, merge after confirming, undo after confirming."""

from __future__ import annotations

from datetime import date

import pytest

from shequ.registry import actions, resolution
from shequ.registry.actions import MANUAL
from shequ.registry.models import MatchCandidate, Merge, Person
from tests.browser import log_in, screenshot

from .conftest import dwelling_in

pytestmark = pytest.mark.browser


def test_it_merges_and_undoes_from_the_pages(browser_page, live_server, world):
    page = browser_page
    home = dwelling_in(world.g1, room="601", floor=6)
    a = actions.create_person(
        by=None, source=MANUAL, name="陈静", birth_date=date(1960, 2, 2), phone="13700137000", hukou_address="福田区"
    )
    b = actions.create_person(by=None, source=MANUAL, name="陈静", birth_date=date(1961, 2, 2), phone="13700137000")
    for p in (a, b):
        actions.move_in(p, home, role="family", since=date(2020, 1, 1), by=None, source=MANUAL)
    resolution.resolve_identities()
    candidate = MatchCandidate.objects.get(status="pending")
    log_in(page, live_server.url, "c1staff")

    page.goto(f"{live_server.url}/registry/review/")
    assert page.locator("[data-total]").get_attribute("data-total") == "1"
    screenshot(page, "registry-review-queue")
    with page.expect_navigation():
        page.locator(f"[data-candidate='{candidate.pk}'] a").click()
    page.check("input[name=choice_birth_date][value=second]")
    screenshot(page, "registry-review-compare")
    with page.expect_navigation():
        page.click("[data-submit=merge]")
    assert page.locator("[data-field=birth_date] [data-value]").inner_text() == "1961-02-02"
    screenshot(page, "registry-merge-confirm")
    with page.expect_navigation():
        page.click("[data-submit=confirm-merge]")
    assert "已合并" in page.locator(".message-success").inner_text()
    assert Person.objects.get(pk=a.pk).birth_date == date(1961, 2, 2)

    page.goto(f"{live_server.url}/registry/merges/")
    page.once("dialog", lambda dialog: dialog.dismiss())  # changing one's mind keeps the merge
    page.click("[data-submit=unmerge]")
    assert Merge.objects.get().undone_at is None
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("[data-submit=unmerge]")
    assert "已撤销合并" in page.locator(".message-success").inner_text()
    screenshot(page, "registry-merge-list")
    assert Merge.objects.get().undone_at is not None
    assert Person.objects.get(pk=a.pk).birth_date == date(1960, 2, 2)
