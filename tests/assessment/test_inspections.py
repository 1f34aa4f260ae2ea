"""Spot checks (督查核查): the draw is reproducible from its seed, a check is recorded once from the phone page
with a note and photo, a failed closed event goes back to its unit as rework, and the results feed the figures."""

from __future__ import annotations

from datetime import date

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shequ.assessment import inspections, rollups
from shequ.assessment.indicators import values
from shequ.assessment.inspection_models import InspectionKind, Result
from shequ.assessment.queries import Period, Scope, totals
from shequ.collection import actions as collection
from shequ.core import clock
from shequ.core.errors import InvalidTransition, NotFound, PermissionDenied
from shequ.events.models import Event, Status
from shequ.registry.models import CodeTable
from shequ.registry.seed import seed
from tests.collection.conftest import resident

from .story import Story, at

pytestmark = pytest.mark.django_db
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4bc0000000049454e44ae426082"
)
OCTOBER = (date(2025, 10, 1), date(2025, 10, 31))


@pytest.fixture
def closed(world) -> list[Event]:
    found = []
    for hour in range(9, 15):
        s = Story(world).report(f"2025-10-09 {hour:02}:00").accept(f"2025-10-09 {hour:02}:10")
        s.dispatch(f"2025-10-09 {hour:02}:20").handle(f"2025-10-09 {hour:02}:40").verify(f"2025-10-09 {hour:02}:50")
        found.append(s.event)
    Story(world, grid=world.g3).report("2025-10-09 09:00")  # another street: never in S1's population
    return found


def draw(world, seed: int | None = 7, size: int = 3):
    with clock.frozen(at("2025-11-03 09:00")):
        return inspections.draw(
            by=world.street_dispatcher,
            kind=InspectionKind.EVENTS,
            region=world.s1,
            date_from=OCTOBER[0],
            date_to=OCTOBER[1],
            size=size,
            seed=seed,
        )


def test_the_draw_is_reproducible_from_its_seed(world, closed):
    first = draw(world)
    again = draw(world)
    drawn = [i.event_id for i in first.items.order_by("position")]
    assert first.population == sorted(e.pk for e in closed)
    assert drawn == [i.event_id for i in again.items.order_by("position")]
    assert drawn == inspections.redraw(first) == inspections.sample(first.population, size=3, seed=7)
    assert len(set(drawn)) == 3
    assert [i.event_id for i in draw(world, seed=8).items.order_by("position")] != drawn or len(closed) < 4
    unseeded = draw(world, seed=None)
    assert inspections.redraw(unseeded) == [i.event_id for i in unseeded.items.order_by("position")]
    with pytest.raises(NotFound):
        inspections.draw(
            by=world.street_dispatcher_s2,
            kind="events",
            region=world.s1,
            date_from=OCTOBER[0],
            date_to=OCTOBER[1],
            size=1,
        )


def test_a_failed_closed_event_reopens_as_rework_and_feeds_the_figures(world, closed):
    inspection = draw(world, size=2)
    failed_item, passed_item = inspection.items.order_by("position")
    with pytest.raises(PermissionDenied):
        inspections.check(failed_item, by=world.community_staff, passed=False, note="垃圾仍在")
    photo = SimpleUploadedFile("site.png", PNG, content_type="image/png")
    with clock.frozen(at("2025-11-04 10:00")):
        inspections.check(failed_item, by=world.street_dispatcher, passed=False, note="垃圾仍在", photo=photo)
        inspections.check(passed_item, by=world.street_dispatcher, passed=True)
    with pytest.raises(InvalidTransition):
        inspections.check(passed_item, by=world.street_dispatcher, passed=False, note="改判")
    event = Event.objects.get(pk=failed_item.event_id)
    assert (event.status, event.rework_count, event.unit) == (Status.DISPATCHED, 1, world.sanitation)
    assert event.timeline.last().action == "inspection_reopen"
    failed_item.refresh_from_db()
    assert failed_item.photo.name and failed_item.assessed_unit_id == world.sanitation.pk
    assert failed_item.assessed_person_id == world.grid_worker.pk  # who verified it closed
    rollups.fold()
    november = Period(date(2025, 11, 1), date(2025, 11, 30))
    unit = totals(Scope(unit=world.sanitation.pk), november)
    assert (unit["spot_checked"], unit["spot_failed"], unit["reopened"]) == (2, 1, 1)
    assert values(unit)["spot_fail_rate"] == 0.5
    assert totals(Scope(person=world.grid_worker.pk), november)["spot_failed"] == 1
    folded = set(totals(Scope(), november).items())
    rollups.rebuild()
    assert set(totals(Scope(), november).items()) == folded


def test_collected_records_are_drawn_and_judge_their_collector(world):
    if not CodeTable.objects.exists():
        seed(apps)
    people = [resident(world.g1, f"居民{n}", room=f"10{n}") for n in range(3)]
    with clock.frozen(at("2025-10-09 09:00")):
        task = collection.create_task(grid=world.g1, assignee=world.grid_worker, by=world.community_staff)
        for item in task.items.all():
            collection.submit(item, by=world.grid_worker, all_correct=True)
    with clock.frozen(at("2025-11-03 09:00")):
        inspection = inspections.draw(
            by=world.street_dispatcher,
            kind="records",
            region=world.c1,
            date_from=OCTOBER[0],
            date_to=OCTOBER[1],
            size=2,
        )
        item = inspection.items.first()
        inspections.check(item, by=world.street_dispatcher, passed=False, note="电话号码不对")
    assert len(inspection.population) == len(people)
    item.refresh_from_db()
    assert (item.result, item.assessed_person_id) == (Result.FAILED, world.grid_worker.pk)


def test_the_phone_page_records_a_check(world, closed):
    inspection = draw(world, size=1)
    item = inspection.items.get()
    supervisor = Client()
    supervisor.force_login(world.street_dispatcher)
    page = supervisor.get(f"/assessment/inspections/items/{item.pk}/")
    assert page.status_code == 200 and Event.objects.get(pk=item.event_id).code in page.content.decode()
    photo = SimpleUploadedFile("site.png", PNG, content_type="image/png")
    resp = supervisor.post(
        f"/assessment/inspections/items/{item.pk}/", {"result": "failed", "note": "未清理干净", "photo": photo}
    )
    assert resp.status_code == 302
    item.refresh_from_db()
    assert (item.result, item.note) == (Result.FAILED, "未清理干净") and item.photo.name
    detail = supervisor.get(f"/assessment/inspections/{inspection.pk}/").content.decode()
    assert f"{inspection.seed}" in detail
    outsider = Client()
    outsider.force_login(world.street_dispatcher_s2)
    assert outsider.get(f"/assessment/inspections/items/{item.pk}/").status_code == 404
    assert outsider.get(f"/assessment/inspections/{inspection.pk}/").status_code == 404
