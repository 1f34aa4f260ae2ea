"""The monthly assessment's pages: the office edits a scheme and computes, reviews and freezes a month; a grid
worker sees only their own score and appeals it; the office decides; other areas see nothing of it."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.utils import translation

from shequ.assessment import scoring
from shequ.assessment.scoring_models import Appeal, Month, Scheme, Score
from shequ.core import clock

from .story import at

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_office_runs_a_month_and_a_worker_appeals(world):
    office = client_for(world.admin)
    assert client_for(world.street_dispatcher).get("/assessment/schemes/new/").status_code == 404
    form = {"name": "网格员考核", "subject": "worker", "weight_closure_rate": "60", "target_closure_rate": "90"}
    form |= {"weight_response_rate": "40", "target_response_rate": "95", "overdue_deduction": "1"}
    form |= {"rework_deduction": "2", "self_found_bonus": "0.5", "bonus_cap": "5", "active": "on"}
    assert office.post("/assessment/schemes/new/", form).status_code == 302
    scheme = Scheme.objects.get()
    assert [(i.indicator, i.weight, i.target) for i in scheme.items.all()] == [
        ("response_rate", 40, 0.95),
        ("closure_rate", 60, 0.9),
    ]
    with clock.frozen(at("2025-11-03 09:00")):
        resp = office.post("/assessment/months/compute/", {"scheme": scheme.pk, "month": "2025-10"})
    month = Month.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/assessment/months/{month.pk}/"
    client_for(world.district_dispatcher).post(f"/assessment/months/{month.pk}/review/", {"note": "核对无误"})
    office.post(f"/assessment/months/{month.pk}/freeze/")
    month.refresh_from_db()
    assert month.frozen
    with translation.override("zh-hans"):
        page = office.get(f"/assessment/months/{month.pk}/")
    assert page.status_code == 200 and "排名" in page.content.decode()

    mine = Score.objects.get(subject_id=world.grid_worker.pk)
    other = Score.objects.get(subject_id=world.grid_worker_g2.pk)
    worker = client_for(world.grid_worker)
    listed = worker.get(f"/assessment/months/{month.pk}/").content.decode()
    assert f'data-score="{mine.pk}"' in listed and f'data-score="{other.pk}"' not in listed
    assert worker.get(f"/assessment/scores/{other.pk}/").status_code == 404
    worker.post(f"/assessment/scores/{mine.pk}/appeal/", {"item": "closure_rate", "reason": "当月无事件"})
    appeal = Appeal.objects.get()
    assert worker.post(f"/assessment/appeals/{appeal.pk}/decide/", {"decision": "accept"}).status_code == 404
    office.post(f"/assessment/appeals/{appeal.pk}/decide/", {"decision": "reject", "note": "无事件按满分计"})
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decision_note) == ("rejected", "无事件按满分计")
    shown = worker.get(f"/assessment/scores/{mine.pk}/").content.decode()
    assert "当月无事件" in shown and "无事件按满分计" in shown
    assert client_for(world.community_staff_c3).get(f"/assessment/months/{month.pk}/").status_code == 404
    assert client_for(world.community_staff).get(f"/assessment/scores/{mine.pk}/").status_code == 200
    assert scoring.is_office(world.district_dispatcher) and not scoring.is_office(world.street_dispatcher)
    assert month.month == date(2025, 10, 1)
