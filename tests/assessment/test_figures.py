"""The figures through the API and the pages: scopes (a community sees only its own figures, a unit its own),
and every figure's link lists exactly the events it counts."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from django.utils import translation

from shequ.assessment import rollups
from shequ.assessment.indicators import INDICATORS
from tests.world import token_for

from .story import Story

pytestmark = pytest.mark.django_db
OCTOBER = {"start": "2025-10-01", "end": "2025-10-31"}


@pytest.fixture
def events(world):
    """Two events in C1 (one closed by sanitation), one in C2 (city management), folded."""
    Story(world).report("2025-10-09 09:00").accept("2025-10-09 09:30").dispatch("2025-10-09 10:00").handle(
        "2025-10-09 11:00"
    ).verify("2025-10-09 14:30").rate("2025-10-09 15:00", 5)
    Story(world, grid=world.g2).report("2025-10-10 09:00")
    Story(world, grid=world.g4).report("2025-10-10 09:00").accept("2025-10-10 09:30").dispatch("2025-10-10 10:00")
    rollups.fold()
    return world


def api(user, path: str, **params):
    client = Client(headers={"Authorization": f"Bearer {token_for(user)}"})
    return client.get(f"/api/assessment/{path}", {**OCTOBER, **params})


def figure(body: dict, code: str) -> dict:
    return next(f for f in body["figures"] if f["code"] == code)


def test_a_community_sees_only_its_own_figures(events):
    w = events
    mine = api(w.community_staff, "figures", by="grid").json()
    assert mine["scope"]["area"] == w.c1.code
    assert figure(mine, "reported")["numerator"] == 2
    assert {row["key"] for row in mine["rows"]} == {w.g1.code, w.g2.code}
    assert api(w.community_staff, "figures", area=w.c2.code).status_code == 404
    assert api(w.community_staff, "figures", area=w.s1.code).status_code == 404
    street = api(w.street_dispatcher, "figures", by="community").json()
    assert figure(street, "reported")["numerator"] == 3
    assert {row["key"]: figure(row, "reported")["numerator"] for row in street["rows"]} == {w.c1.code: 2, w.c2.code: 1}


def test_a_unit_sees_its_own_figures_only(events):
    w = events
    theirs = api(w.handler, "figures").json()
    assert theirs["scope"]["unit"] == w.sanitation.pk
    assert figure(theirs, "closed")["numerator"] == 1
    assert figure(theirs, "satisfaction_rate")["value"] == 1.0
    assert api(w.handler, "figures", unit=w.city_mgmt.pk).status_code == 404
    assert figure(api(w.handler_city, "figures").json(), "closed")["numerator"] == 0
    assert api(w.resident, "figures").status_code == 404


def test_every_figures_link_lists_the_events_it_counts(events):
    w = events
    body = api(w.street_dispatcher, "figures", by="community").json()
    client = Client(headers={"Authorization": f"Bearer {token_for(w.street_dispatcher)}"})
    for f in [*body["figures"], *(f for row in body["rows"] for f in row["figures"])]:
        behind = client.get(f["events_url"]).json()
        if f["code"] != "close_hours":  # minutes are not events; every other numerator counts each event once here
            assert behind["count"] == f["numerator"], f
        if f["base_url"]:
            assert client.get(f["base_url"]).json()["count"] == f["denominator"], f
    closed = client.get(figure(body, "closed")["events_url"]).json()["events"]
    assert [e["area_code"] for e in closed] == [w.g1.code]


def test_the_indicators_page_links_each_figure(events):
    w = events
    client = Client()
    client.force_login(w.community_staff)
    with translation.override("zh-hans"):
        page = client.get("/assessment/", {**OCTOBER, "by": "grid"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "响应率" in html and "满意率" in html
    link = next(part for part in html.split('href="') if part.startswith("/assessment/events/?"))
    target = link.split('"')[0].replace("&amp;", "&")
    params = dict(parse_qsl(urlsplit(target).query))
    assert params["area"] == w.c1.code
    listed = client.get(target)
    assert listed.status_code == 200
    assert client.get("/assessment/", {"area": w.c2.code}).status_code == 404
    assert client.get("/assessment/events/", {"area": w.c2.code, "measure": "reported"}).status_code == 404


def test_the_api_lists_every_indicator_with_its_formula(world):
    body = api(world.resident, "indicators").json()
    assert [i["code"] for i in body] == [i.code for i in INDICATORS]
    assert next(i for i in body if i["code"] == "response_rate")["formula"] == "Σ responded / Σ response_base"


def test_docs_hold_every_indicator_and_its_formula():
    from pathlib import Path

    from shequ.assessment.management.commands.indicator_docs import rewrite

    docs = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"
    text = docs.read_text(encoding="utf-8")
    assert rewrite(text) == text, "docs/indicators.md is out of date: run manage.py indicator_docs"
    for i in INDICATORS:
        assert f"`{i.formula()}`" in text


def test_the_measures_are_the_models_columns():
    from shequ.assessment.indicators import MEASURE_CODES
    from shequ.assessment.models import Measures

    assert [f.name for f in Measures._meta.fields] == list(MEASURE_CODES)
