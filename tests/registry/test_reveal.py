"""Reveal: a masked value in clear only on an explicit request with a purpose, up to the grant's reveal level, for
one person, and every reveal is an audit entry (who, from where, which fields, why)."""

from __future__ import annotations

import pytest

from shequ.access.masking import mask_id_number
from shequ.audit.models import AuditEntry

from ..world import token_for
from .masking_world import ZHANG_ID, ZHANG_PHONE, build_scene, client_for


@pytest.fixture
def scene(world):
    return build_scene(world)


def reveals() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="reveal").order_by("sequence"))


def test_the_form_asks_why_and_the_answer_shows_the_value_and_is_audited(world, scene):
    client = client_for(world.grid_worker)
    url = f"/registry/people/{scene.zhang.pk}/reveal/"
    form = client.get(f"{url}?fields=id_number", HTTP_HX_REQUEST="true").content.decode()
    assert 'name="purpose"' in form and ZHANG_ID not in form and "<html" not in form
    response = client.post(
        url,
        {"fields_": "id_number", "purpose": "visit", "purpose_text": "核对户籍"},
        HTTP_HX_REQUEST="true",
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 200 and ZHANG_ID in response.content.decode()
    [entry] = reveals()
    assert entry.actor_username == "gridworker" and entry.ip == "10.1.2.3"
    assert entry.fields == ["person.id_number"] and entry.purpose == "入户走访：核对户籍"
    assert entry.target_id == str(scene.zhang.pk) and ZHANG_ID not in str(entry.detail)
    # only for that request: the page stays masked
    page = client.get(f"/registry/people/{scene.zhang.pk}/").content.decode()
    assert ZHANG_ID not in page and mask_id_number(ZHANG_ID) in page


def test_a_purpose_is_required(world, scene):
    client = client_for(world.grid_worker)
    response = client.post(
        f"/registry/people/{scene.zhang.pk}/reveal/", {"fields_": "id_number", "purpose": "other", "purpose_text": ""}
    )
    assert response.status_code == 400 and ZHANG_ID not in response.content.decode()
    assert reveals() == []


def test_beyond_the_reveal_level_it_is_refused_in_chinese_and_nothing_is_shown(world, scene):
    client = client_for(world.street_dispatcher)  # reveals up to L3
    url = f"/registry/people/{scene.zhang.pk}/reveal/"
    refused = client.post(url, {"fields_": "id_number", "purpose": "verify"})
    assert refused.status_code == 403 and ZHANG_ID not in refused.content.decode()
    assert "不允许" in refused.content.decode() or "无权" in refused.content.decode()
    shown = client.post(url, {"fields_": "phone", "purpose": "verify"})
    assert shown.status_code == 200 and ZHANG_PHONE in shown.content.decode()
    assert [e.fields for e in reveals()] == [["person.phone"]]


def test_out_of_scope_is_not_found(world, scene):
    response = client_for(world.grid_worker_g2).post(
        f"/registry/people/{scene.zhang.pk}/reveal/", {"fields_": "phone", "purpose": "verify"}
    )
    assert response.status_code == 404 and reveals() == []


def test_the_api_reveals_only_the_asked_fields(world, scene):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(world.grid_worker)}"}
    response = client_for(world.grid_worker).post(
        f"/api/registry/people/{scene.zhang.pk}/reveal",
        {"fields": ["id_number", "tags"], "purpose": "应急处置"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["values"] == {"id_number": ZHANG_ID}
    assert [t["code"] for t in data["tags"]] == ["community_correction"]  # only the tags that were hidden
    assert reveals()[-1].fields == ["person.id_number", "person.tags"] and reveals()[-1].channel == "api"
    street = {"HTTP_AUTHORIZATION": f"Bearer {token_for(world.street_dispatcher)}"}
    refused = client_for(world.street_dispatcher).post(
        f"/api/registry/people/{scene.zhang.pk}/reveal",
        {"fields": ["id_number"], "purpose": "核实"},
        content_type="application/json",
        **street,
    )
    assert refused.status_code == 403 and refused.json()["code"] == "reveal_forbidden"
    missing = client_for(world.grid_worker).post(
        f"/api/registry/people/{scene.zhang.pk}/reveal",
        {"fields": ["phone"], "purpose": ""},
        content_type="application/json",
        **headers,
    )
    assert missing.status_code in (400, 422) and len(reveals()) == 1


@pytest.mark.browser
def test_a_grid_worker_reveals_an_id_number_on_the_person_page(browser_page, live_server, world, scene):
    from tests.browser import log_in, screenshot

    page = browser_page
    log_in(page, live_server.url, "gridworker")
    page.goto(f"{live_server.url}/registry/people/{scene.zhang.pk}/")
    cell = page.locator("tr[data-field=id_number] td[data-value]")
    assert mask_id_number(ZHANG_ID) in cell.inner_text()
    page.click("[data-reveal-link=id_number]")
    page.select_option("tr[data-field=id_number] select[name=purpose]", "verify")
    page.fill("tr[data-field=id_number] input[name=purpose_text]", "上门核对")
    page.click("tr[data-field=id_number] [data-submit=reveal]")
    page.wait_for_selector("[data-revealed=id_number]")
    assert page.locator("[data-revealed=id_number]").inner_text() == ZHANG_ID
    screenshot(page, "registry-reveal")
    assert [e.purpose for e in reveals()] == ["核实信息：上门核对"]
