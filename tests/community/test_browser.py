"""On a phone-sized screen: a resident signs up for an activity, checks in and out with its QR code, sees the hours
and points, and votes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction

from shequ.community import deliberation, ledger_sql, points, voting
from shequ.community.models import Attendance, Matter, Trigger
from shequ.core import clock
from tests.browser import PASSWORD, screenshot

from .conftest import activity_in, building_in, person_in, volunteer_of

pytestmark = pytest.mark.browser


@pytest.fixture
def ledgers_emptied(live_server):
    """The live server's database is flushed after the test; SQLite's flush deletes row by row, which the ledgers'
    triggers refuse, so the test's postings are purged first (``ledger_sql.purge``)."""
    yield
    with transaction.atomic():
        ledger_sql.purge(connection)


def test_a_resident_signs_up_checks_in_sees_hours_and_points_and_votes(live_server, ledgers_emptied, world, chromium):
    resident = person_in(world.g1, account=world.resident)
    volunteer_of(world, resident)
    points.set_rule(by=world.community_staff, region=world.c1, trigger=Trigger.VOLUNTEER_HOUR, points=10)
    now = clock.now()
    activity = activity_in(world, starts=now - timedelta(hours=2), hours=3)
    session = activity.sessions.get()
    proposal = deliberation.put_on_agenda(
        deliberation.raise_proposal(by=world.community_staff, community=world.c1, title="加装电梯", body="说明"),
        by=world.community_staff,
    )
    vote = voting.open_vote(
        voting.create(
            by=world.community_staff,
            proposal=proposal,
            kind="owners",
            matter=Matter.MANAGER,
            question="是否同意加装电梯？",
            buildings=[building_in(world.g1)],
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(days=1),
        ),
        by=world.community_staff,
    )

    phone = chromium.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True
    )
    page = phone.new_page()
    page.set_default_timeout(15_000)
    base = live_server.url
    try:
        page.goto(f"{base}/portal/login/")
        page.fill("input[name=username]", "resident")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.locator("form button[type=submit]").click()

        page.goto(f"{base}/portal/community/activities/{activity.pk}/")
        with page.expect_navigation():
            page.click("[data-action=signup]")
        page.wait_for_selector("[data-signed]")
        screenshot(page, "community-signed-up")

        # The QR code on site opens this page; the first tap checks in.
        page.goto(f"{base}/portal/community/checkin/{session.code}/")
        with page.expect_navigation():
            page.click("[data-action=check-in]")
        # Ninety minutes on site pass: the check-in moves back by as much (the live server runs on the real clock).
        attendance = Attendance.objects.get(session=session, person=resident)
        Attendance.objects.filter(pk=attendance.pk).update(
            checked_in_at=attendance.checked_in_at - timedelta(minutes=90)
        )
        with page.expect_navigation():
            page.click("[data-action=check-out]")
        page.wait_for_selector("[data-done]")
        assert "90" in page.inner_text("[data-done]")
        screenshot(page, "community-checked-out")

        page.goto(f"{base}/portal/community/")
        assert page.get_attribute("[data-hours]", "data-hours") == "90"
        assert page.inner_text("[data-hours]") == "1.5"
        assert page.get_attribute("[data-points]", "data-points") == "15"
        screenshot(page, "community-home")

        with page.expect_navigation():
            page.click(f"a[data-vote='{vote.pk}']")
        page.locator("form.ballot label.chip:has(input[value=yes])").first.click()
        with page.expect_navigation():
            page.click("[data-action=cast]")
        page.wait_for_selector("[data-cast=yes]")
        screenshot(page, "community-voted")
        assert vote.ballots.filter(choice="yes").count() == 1
    finally:
        phone.close()
        # The portal page's live alert stream runs in the live server's thread: end it before the database goes.
        from shequ.alerts import live

        live.close_all()
