"""Visits made (走访次数): counted from the care visits services records (never a counter), per grid worker and
summed per grid, community, street and district; the figure links to the visits themselves, scoped like services'
own pages; a worker scheme may score it."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from shequ.assessment import rollups, scoring
from shequ.assessment.figures import figures_for, indicators_for
from shequ.assessment.indicators import values
from shequ.assessment.models import Fact, Source
from shequ.assessment.queries import Period, Scope, totals
from shequ.assessment.scoring import ItemInput
from shequ.assessment.scoring_models import Score
from shequ.core import clock
from shequ.registry import actions as registry
from shequ.services.models import CareSubject, CareVisit, Wellbeing

from .story import at

pytestmark = pytest.mark.django_db
OCTOBER = Period(date(2025, 10, 1), date(2025, 10, 31))


def subject(grid, name: str) -> CareSubject:
    person = registry.create_person(by=None, source=registry.MANUAL, name=name)
    return CareSubject.objects.create(person=person, grid=grid)


def visit(who, whom: CareSubject, when: str, *, ok: bool | None = True) -> CareVisit:
    return CareVisit.objects.create(
        subject=whom, worker=who, visited_at=at(when), location_ok=ok, wellbeing=Wellbeing.GOOD, findings="一切正常"
    )


@pytest.fixture
def visits(world):
    """G1's worker: two visits in October (one outside the dwelling's grid) and one in September; G2's: one in
    October; a worker of G4 (another community of the street): one; none in the other street."""
    from tests.world import user

    zhang, li = subject(world.g1, "张三"), subject(world.g2, "李四")
    far = subject(world.g4, "王五")
    world.grid_worker_g4 = user("gridworker4", "grid_worker", region=world.g4)
    made = [
        visit(world.grid_worker, zhang, "2025-10-09 10:00"),
        visit(world.grid_worker, zhang, "2025-10-16 10:00", ok=False),
        visit(world.grid_worker, zhang, "2025-09-20 10:00"),
        visit(world.grid_worker_g2, li, "2025-10-10 15:00", ok=None),
        visit(world.grid_worker_g4, far, "2025-10-11 09:00"),
    ]
    rollups.fold()
    return made


def count(scope: Scope, period: Period = OCTOBER) -> int:
    return int(totals(scope, period)["visits"])


def test_each_recorded_visit_counts_once_for_its_worker_and_every_area_above(world, visits):
    assert count(Scope(person=world.grid_worker.pk)) == 2  # September's is outside the period
    assert count(Scope(person=world.grid_worker.pk), Period(date(2025, 9, 1), date(2025, 10, 31))) == 3
    assert count(Scope(person=world.grid_worker_g2.pk)) == 1
    assert (count(Scope(area=world.g1.code)), count(Scope(area=world.g2.code))) == (2, 1)
    assert (count(Scope(area=world.c1.code)), count(Scope(area=world.c2.code))) == (3, 1)
    assert (count(Scope(area=world.s1.code)), count(Scope(area=world.s2.code))) == (4, 0)
    assert count(Scope(area=world.district.code)) == 4
    assert Fact.objects.filter(source=Source.VISIT).count() == 5


def test_the_fold_counts_new_visits_once_and_a_rebuild_gives_the_same(world, visits):
    rollups.fold()
    assert count(Scope(area=world.c1.code)) == 3  # folded again: the same visits are not counted twice
    visit(world.grid_worker, visits[0].subject, "2025-10-20 10:00")
    rollups.fold()
    assert count(Scope(person=world.grid_worker.pk)) == 3
    rollups.rebuild()
    assert count(Scope(person=world.grid_worker.pk)) == 3
    assert count(Scope(area=world.s1.code)) == 5


def test_areas_show_visits_and_units_do_not(world, visits):
    assert "visits" in {i.code for i in indicators_for(Scope(area=world.c1.code))}
    assert "visits" in {i.code for i in indicators_for(Scope(person=world.grid_worker.pk))}
    assert "visits" not in {i.code for i in indicators_for(Scope(unit=world.sanitation.pk))}
    assert "items_done" not in {i.code for i in indicators_for(Scope(area=world.c1.code))}
    assert "self_found" in {i.code for i in indicators_for(Scope(unit=world.sanitation.pk))}
    street = figures_for(Scope(area=world.s1.code), OCTOBER, by="community")
    assert street.figure("visits").numerator == 4
    per_community = {row.key: next(f for f in row.figures if f.code == "visits").numerator for row in street.rows}
    assert per_community == {world.c1.code: 3, world.c2.code: 1}
    assert values(totals(Scope(area=world.g1.code), OCTOBER))["visits"] == 2


def _query(scope: str) -> str:
    return f"{scope}&start=2025-10-01&end=2025-10-31"


def test_the_figure_links_to_the_visits_the_user_may_see(world, visits):
    client = Client()
    client.force_login(world.community_staff)
    page = client.get("/assessment/?" + _query(f"area={world.c1.code}")).content.decode()
    found = figures_for(Scope(area=world.c1.code), OCTOBER).figure("visits")
    assert found.numerator_url.startswith("/assessment/visits/?") and found.numerator_url in page.replace("&amp;", "&")
    listed = client.get(found.numerator_url)
    assert listed.status_code == 200
    html = listed.content.decode()
    assert 'data-total="3"' in html
    rows = {v.pk for v in visits[:2]} | {visits[3].pk}
    assert all(f'data-visit="{pk}"' in html for pk in rows)
    assert f'data-visit="{visits[4].pk}"' not in html and f'data-visit="{visits[2].pk}"' not in html
    assert html.count('data-location="outside"') == 1 and html.count('data-location="none"') == 1
    # One community's row of a breakdown lists that community's visits only.
    g2 = client.get(f"/assessment/visits/?{_query(f'area={world.c1.code}')}&by=grid&key={world.g2.code}")
    assert 'data-total="1"' in g2.content.decode()
    # The events list redirects a visits figure to its visits.
    moved = client.get("/assessment/events/?" + _query(f"area={world.c1.code}") + "&measure=visits")
    assert moved.status_code == 302 and moved["Location"].startswith("/assessment/visits/?")


def test_the_visits_list_is_scoped_like_every_other_read(world, visits):
    client = Client()
    client.force_login(world.community_staff_c3)
    assert client.get("/assessment/visits/?" + _query(f"area={world.c1.code}")).status_code == 404
    assert 'data-total="0"' in client.get("/assessment/visits/?" + _query("area=")).content.decode()
    client.force_login(world.grid_worker_g2)
    assert client.get("/assessment/visits/?" + _query(f"person={world.grid_worker.pk}")).status_code == 404
    mine = client.get("/assessment/visits/?" + _query(f"person={world.grid_worker_g2.pk}")).content.decode()
    assert 'data-total="1"' in mine and f'data-visit="{visits[3].pk}"' in mine
    client.force_login(world.handler)  # a unit's handler sees no care visits
    assert client.get("/assessment/visits/?" + _query(f"area={world.c1.code}")).status_code == 404
    client.logout()
    assert client.get("/assessment/visits/?" + _query("area=")).status_code == 302


def test_a_worker_scheme_scores_visits_made(world, visits):
    scheme = scoring.save_scheme(
        None,
        by=world.admin,
        name="走访考核",
        subject="worker",
        items=[ItemInput("visits", 100, 4)],
    )
    with clock.frozen(at("2025-11-03 09:00")):
        month = scoring.compute(scheme=scheme, month=OCTOBER.start, by=world.admin)
    mine = Score.objects.get(month=month, subject_id=world.grid_worker.pk)
    item = next(i for i in mine.items if i["indicator"] == "visits")
    assert (item["numerator"], item["points"]) == (2, 50.0)  # two of the four asked for
    other = Score.objects.get(month=month, subject_id=world.grid_worker_g2.pk)
    assert next(i for i in other.items if i["indicator"] == "visits")["points"] == 25.0
