"""Masking by sensitivity: what each grant sees of one person in pages, the API, exports and search, and that a
masked value can be recovered neither by searching, sorting nor writing it back."""

from __future__ import annotations

import csv
import io

import pytest

from shequ.access.masking import mask_address, mask_id_number, mask_name, mask_phone
from shequ.audit.models import AuditEntry
from shequ.registry import queries
from shequ.registry.visibility import MaskedRecord

from ..world import token_for
from .masking_world import ZHANG_HUKOU, ZHANG_ID, ZHANG_PHONE, build_scene, client_for


@pytest.fixture
def scene(world):
    return build_scene(world)


def api(user, path: str, method: str = "get", **kwargs):
    client = client_for(user)
    token = token_for(user)
    return getattr(client, method)(path, HTTP_AUTHORIZATION=f"Bearer {token}", **kwargs)


def test_the_maskers_keep_only_what_is_no_secret():
    assert mask_id_number("110105199001011234") == "110105********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三明") == "张*明"
    assert mask_name("欧阳道明") == "欧**明"
    assert mask_address("幸福路12号3栋502室") == "幸福路12号3栋***"


def test_a_grid_worker_sees_names_and_phones_but_not_the_id_number_or_l4_tags(world, scene):
    body = client_for(world.grid_worker).get(f"/registry/people/{scene.zhang.pk}/").content.decode()
    assert "张建国" in body and ZHANG_PHONE in body
    assert ZHANG_ID not in body and mask_id_number(ZHANG_ID) in body
    assert "独居老人" in body  # L3 tag: clear
    assert "社区矫正" not in body  # L4 tag: not even shown to exist
    assert 'data-reveal-link="id_number"' in body and 'data-reveal-link="tags"' in body


def test_a_street_dispatcher_sees_l3_values_masked_everywhere_on_the_page(world, scene):
    body = client_for(world.street_dispatcher).get(f"/registry/people/{scene.zhang.pk}/").content.decode()
    for secret in ("张建国", ZHANG_PHONE, ZHANG_ID, ZHANG_HUKOU, "1950-03-08", "独居老人", "社区矫正", "502"):
        assert secret not in body, secret
    assert mask_name("张建国") in body and mask_phone(ZHANG_PHONE) in body
    # L2 values stay clear; the reveal is offered up to L3 (phone), not for the L4 ID number
    assert "腿脚不便" in body
    assert 'data-reveal-link="phone"' in body and 'data-reveal-link="id_number"' not in body


def test_related_pages_mask_the_people_they_reach(world, scene):
    client = client_for(world.street_dispatcher)
    home = scene.zhang.residences.get().dwelling
    household = scene.zhang.residences.get().household
    for path in (
        f"/registry/buildings/{home.building_id}/",
        f"/registry/dwellings/{home.pk}/",
        f"/registry/households/{household.pk}/",
    ):
        body = client.get(path).content.decode()
        assert "张建国" not in body and mask_name("张建国") in body, path
        assert "H-0042" not in body, path  # household.number is L3


def test_the_api_masks_and_names_the_masked_fields(world, scene):
    data = api(world.street_dispatcher, f"/api/registry/people/{scene.zhang.pk}").json()
    assert data["name"] == "张*国" and data["phone"] == mask_phone(ZHANG_PHONE)
    assert data["id_number"] == mask_id_number(ZHANG_ID)
    assert {"name", "phone", "id_number", "birth_date", "hukou_address"} <= set(data["masked"])
    assert data["tags"] == []
    listed = api(world.street_dispatcher, "/api/registry/people").content.decode()
    for secret in ("张建国", ZHANG_PHONE, ZHANG_ID, ZHANG_HUKOU):
        assert secret not in listed


def test_an_export_writes_masked_values_only(world, scene):
    response = client_for(world.street_dispatcher).get("/registry/export/download/?record=person&format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2  # header and Zhang (Wang lives in another street)
    for secret in ("张建国", ZHANG_PHONE, ZHANG_ID, ZHANG_HUKOU, "独居老人", "社区矫正"):
        assert secret not in text, secret
    assert mask_id_number(ZHANG_ID) in rows[1]


def test_search_only_on_what_is_clear(world, scene):
    street = world.street_dispatcher
    # phone and name would confirm a masked value: refused with a Chinese message, on the page and the API
    for q in (ZHANG_PHONE, "张建国", "zjg"):
        response = api(street, f"/api/registry/people?q={q}")
        assert response.status_code == 403 and response.json()["code"] == "search_refused", q
        page = client_for(street).get(f"/registry/people/?q={q}").content.decode()
        assert "data-refused" in page and "张*国" not in page, q
    # the 4-character ID suffix is in the mask anyway
    assert api(street, f"/api/registry/people?q={ZHANG_ID[-4:]}").json()["count"] == 1
    # a whole ID number needs the right to reveal it: refused for the street, allowed and audited for the grid
    assert api(street, f"/api/registry/people?q={ZHANG_ID}").status_code == 403
    before = AuditEntry.objects.filter(action="query", purpose="search").count()
    found = api(world.grid_worker, f"/api/registry/people?q={ZHANG_ID}").json()
    assert found["count"] == 1 and found["items"][0]["id_number"] == mask_id_number(ZHANG_ID)
    entry = AuditEntry.objects.filter(action="query", purpose="search").order_by("-sequence").first()
    assert AuditEntry.objects.filter(action="query", purpose="search").count() == before + 1
    assert entry.fields == ["person.id_number"] and ZHANG_ID not in str(entry.detail)


def test_lists_are_not_sorted_by_a_masked_value(world, scene):
    qs = queries.people_for(world.street_dispatcher)
    assert list(qs.order_by("id")) == list(qs.order_by("pk"))
    page = client_for(world.street_dispatcher).get("/registry/people/")
    assert page.status_code == 200
    from shequ.registry.views import list_order

    assert list_order(world.street_dispatcher, "person") == ("id",)
    assert list_order(world.grid_worker, "person") == ("name", "id")


def test_history_values_are_masked_by_their_field_level(world, scene):
    body = client_for(world.street_dispatcher).get(f"/registry/people/{scene.zhang.pk}/").content.decode()
    assert 'data-change="phone"' in body and ZHANG_PHONE not in body
    as_of = client_for(world.street_dispatcher).get(f"/registry/people/{scene.zhang.pk}/?as_of=2099-01-01")
    assert ZHANG_PHONE not in as_of.content.decode()


def test_a_masked_instance_refuses_to_be_saved(world, scene):
    person = queries.get_person_for(world.grid_worker, scene.zhang.pk)
    assert person.id_number == mask_id_number(ZHANG_ID) and "id_number" in person.masked_fields
    with pytest.raises(MaskedRecord):
        person.save()


def test_the_edit_form_offers_only_clear_fields_and_never_writes_a_mask_back(world, scene):
    client = client_for(world.community_staff)
    page = client.get(f"/registry/people/{scene.zhang.pk}/edit/").content.decode()
    assert 'name="id_number"' not in page and ZHANG_ID not in page and 'name="phone"' in page
    response = client.post(
        f"/registry/people/{scene.zhang.pk}/edit/",
        {"name": "张建国", "phone": "13900000000", "id_number": "110105********1234", "gender": "1"},
    )
    assert response.status_code == 302
    scene.zhang.refresh_from_db()
    assert scene.zhang.id_number == ZHANG_ID and scene.zhang.phone == "13900000000"
    # the API refuses a patch of a field the user does not see in clear
    refused = api(
        world.street_dispatcher,
        f"/api/registry/people/{scene.zhang.pk}",
        "patch",
        data={"phone": "13700000000"},
        content_type="application/json",
    )
    assert refused.status_code == 403 and refused.json()["code"] == "field_not_clear"


def test_a_property_company_sees_its_buildings_and_only_property_fields(world, scene):
    client = client_for(scene.property_user)
    assert client.get(f"/registry/people/{scene.wang.pk}/").status_code == 404  # not its building
    body = client.get(f"/registry/people/{scene.zhang.pk}/").content.decode()
    assert "张建国" in body and ZHANG_PHONE in body  # marked visible to property
    for hidden in (mask_id_number(ZHANG_ID), ZHANG_ID, "身份号码", "户籍地址", "独居老人", "社区矫正"):
        assert hidden not in body, hidden
    data = api(scene.property_user, f"/api/registry/people/{scene.zhang.pk}").json()
    assert data["id_number"] is None and "id_number" in data["hidden"] and data["phone"] == ZHANG_PHONE
    assert api(scene.property_user, "/api/registry/people").json()["count"] == 1
    # the ID suffix would search a hidden field
    assert api(scene.property_user, f"/api/registry/people?q={ZHANG_ID[-4:]}").status_code == 403


def test_a_data_user_gets_no_records_and_no_pages(world, scene):
    client = client_for(scene.data_user)
    for path in ("/registry/people/", "/"):
        response = client.get(path)
        assert response.status_code == 403 and 'data-page="api-only"' in response.content.decode()
    assert not queries.people_for(scene.data_user).exists()
    assert api(scene.data_user, "/api/registry/people").json()["count"] == 0


def test_a_tag_filter_is_refused_above_the_clear_level(world, scene):
    assert api(world.grid_worker, "/api/registry/people?tag=elderly_alone").json()["count"] == 1
    for user, code in ((world.grid_worker, "community_correction"), (world.street_dispatcher, "elderly_alone")):
        response = api(user, f"/api/registry/people?tag={code}")
        assert response.status_code == 403 and response.json()["code"] == "search_refused"
    page = client_for(world.street_dispatcher).get("/registry/people/?tag=elderly_alone").content.decode()
    assert "data-refused" in page and "不能按" in page
