"""Who works where (从业关系): the actions and their history, the dictionary's employment fields, the API (detail,
create with a workplace, open and end an employment), the person's and the organisation's pages, scope and masking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.test import Client

from shequ.access.masking import MASKED, mask_name
from shequ.access.models import Role, Unit, User
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition
from shequ.registry import actions, queries
from shequ.registry.actions import MANUAL
from shequ.registry.models import Change, Employment, Field, Organization, Person
from tests.api.conftest import ApiClient, assert_error
from tests.world import token_for

from .test_pages import Community, community  # noqa: F401  (a fixture, requested by town below)

ZHAO_NAME = "赵六"


@dataclass
class Town:
    c: Community
    wang_at_shop: Employment  # lives in g2, works at the shop in g1: both in c1
    zhang_far: Employment  # lives in g1, works at the shop in g3 (outside c1)
    zhao_at_shop: Employment  # lives in g3 (outside c1), works at the shop in g1
    wang_before: Employment  # wang's earlier job at the far shop, ended


@pytest.fixture(autouse=True)
def _fresh_overview_cache():
    cache.clear()


@pytest.fixture
def town(world, community) -> Town:  # noqa: F811
    c = community
    by = world.community_staff
    wang_before = actions.employ(c.wang, c.far_shop, since=date(2020, 3, 1), position="学徒", by=by, source=MANUAL)
    actions.leave_employment(wang_before, until=date(2023, 12, 31), by=by, source=MANUAL)
    return Town(
        c=c,
        wang_at_shop=actions.employ(c.wang, c.shop, since=date(2024, 2, 1), position="收银员", by=by, source=MANUAL),
        zhang_far=actions.employ(c.zhang, c.far_shop, since=date(2022, 5, 1), position="店长", by=by, source=MANUAL),
        zhao_at_shop=actions.employ(c.zhao, c.shop, since=date(2021, 1, 1), by=by, source=MANUAL),
        wang_before=wang_before,
    )


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def as_api(user: User) -> ApiClient:
    return ApiClient(token_for(user))


def html_of(resp) -> str:
    return resp.content.decode()


# --- actions and the dictionary ---------------------------------------------------------------------------------


def test_employing_and_leaving_keep_history_and_refuse_what_cannot_be(world, community):  # noqa: F811
    c = community
    employment = actions.employ(
        c.li, c.shop, since=date(2024, 1, 1), position=" 店员 ", by=world.community_staff, source=MANUAL
    )
    logged = Change.objects.filter(record_type="employment", record_id=employment.pk)
    assert sorted(logged.values_list("field", "new_value")) == [
        ("organization", str(c.shop.pk)),
        ("person", str(c.li.pk)),
        ("position", "店员"),
        ("start", "2024-01-01"),
    ]
    assert queries.current_employments().filter(pk=employment.pk).exists()
    with pytest.raises(InvalidTransition) as twice:
        actions.employ(c.li, c.shop, since=date(2024, 6, 1), by=None, source=MANUAL)
    assert twice.value.code == "already_employed" and "已在该单位工作" in twice.value.message
    with pytest.raises(InvalidInput) as early:
        actions.leave_employment(employment, until=date(2023, 12, 31), by=None, source=MANUAL)
    assert early.value.code == "end_before_start"
    actions.leave_employment(employment, until=date(2024, 9, 30), by=world.community_staff, source=MANUAL)
    assert employment.end == date(2024, 9, 30)
    assert not queries.current_employments().filter(pk=employment.pk).exists()
    assert logged.filter(field="end", new_value="2024-09-30", actor=world.community_staff).exists()
    with pytest.raises(InvalidTransition) as again:
        actions.leave_employment(employment, by=None, source=MANUAL)
    assert again.value.code == "already_left"
    # Having left, the person may start there again: one open employment per person and organisation.
    assert actions.employ(c.li, c.shop, since=date(2025, 1, 1), by=None, source=MANUAL).end is None


def test_the_dictionary_describes_employment_like_residence(db):
    fields = {f.name: f for f in Field.objects.filter(name__startswith="employment.")}
    assert set(fields) == {"employment.organization", "employment.position", "employment.start", "employment.end"}
    levels = {name: f.sensitivity for name, f in fields.items()}
    residence = dict(Field.objects.filter(name__startswith="residence.").values_list("name", "sensitivity"))
    assert levels["employment.organization"] == residence["residence.dwelling"] == "L3"
    assert levels["employment.start"] == residence["residence.start"] == "L2"
    assert fields["employment.organization"].label == "工作单位" and fields["employment.organization"].required
    assert not any(f.visible_to_property for f in fields.values())


def test_a_migration_seeds_the_employment_fields_for_existing_databases(db):
    from importlib import import_module

    from django.apps import apps

    Field.objects.filter(name__startswith="employment.").delete()  # a database seeded before employments
    import_module("shequ.registry.migrations.0012_employment_dictionary").forwards(apps, None)
    assert Field.objects.filter(name__startswith="employment.").count() == 4


# --- the API ----------------------------------------------------------------------------------------------------


def test_the_person_detail_lists_workplaces_in_full_only_inside_the_area(world, town):
    staff = as_api(world.community_staff)
    wang = staff.get(f"/registry/people/{town.c.wang.pk}").json()
    assert wang["workplaces"] == [
        {
            "id": town.wang_at_shop.pk,
            "person": {"id": town.c.wang.pk, "name": "王小明"},
            "organization": {"id": town.c.shop.pk, "name": "阳光超市"},
            "position": "收银员",
            "start": "2024-02-01",
            "end": None,
        }
    ]
    # The earlier job was at the far shop (g3): listed among the past ones, the organisation masked, no id.
    (before,) = wang["past_workplaces"]
    assert (before["organization"], before["end"], before["position"]) == (
        {"id": None, "name": MASKED},
        "2023-12-31",
        "学徒",
    )
    zhang = staff.get(f"/registry/people/{town.c.zhang.pk}").json()
    assert [w["organization"] for w in zhang["workplaces"]] == [{"id": None, "name": MASKED}]
    assert "三社区便利店" not in str(zhang)
    # Seen from c3, the far shop is in the area and shown; the g1 shop is not.
    zhao = as_api(world.community_staff_c3).get(f"/registry/people/{town.c.zhao.pk}").json()
    assert [w["organization"] for w in zhao["workplaces"]] == [{"id": None, "name": MASKED}]


def test_the_workplace_follows_the_clearance_and_is_hidden_from_property_companies(world, town):
    # A street dispatcher clears L2: the organisation (employment.organization, L3) is masked, the dates are clear.
    wang = as_api(world.street_dispatcher).get(f"/registry/people/{town.c.wang.pk}").json()
    (work,) = wang["workplaces"]
    assert (work["organization"], work["start"], work["person"]["name"]) == (
        {"id": None, "name": MASKED},
        "2024-02-01",
        mask_name("王小明"),
    )
    company = Unit.objects.create(code="WY", name="物业", region=world.c1)
    town.c.homes.g2_a.building.managed_by = company
    town.c.homes.g2_a.building.save()
    manager = User.objects.create_user(
        username="wy", password="pass-word-123", role=Role.PROPERTY_COMPANY, unit=company
    )
    seen = as_api(manager).get(f"/registry/people/{town.c.wang.pk}").json()
    assert (seen["workplaces"], seen["past_workplaces"]) == ([], [])


def test_it_opens_and_ends_an_employment_with_api_provenance(world, town):
    staff = as_api(world.community_staff)
    resp = staff.post(
        f"/registry/people/{town.c.li.pk}/employments",
        {"organization": town.c.shop.pk, "position": "理货员", "since": "2025-04-01"},
    )
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert (body["organization"], body["position"], body["start"]) == (
        {"id": town.c.shop.pk, "name": "阳光超市"},
        "理货员",
        "2025-04-01",
    )
    made = Employment.objects.get(pk=body["id"])
    assert (made.person, made.organization, made.end) == (town.c.li, town.c.shop, None)
    logged = Change.objects.filter(record_type="employment", record_id=made.pk)
    assert set(logged.values_list("source_kind", "source_ref")) == {("api", "c1staff token")}
    assert_error(
        staff.post(f"/registry/people/{town.c.li.pk}/employments", {"organization": town.c.shop.pk}),
        409,
        "already_employed",
    )
    assert_error(staff.post(f"/registry/employments/{made.pk}/end", {"until": "2025-03-01"}), 400, "end_before_start")
    ended = staff.post(f"/registry/employments/{made.pk}/end", {"until": "2025-08-31"})
    assert ended.status_code == 200 and ended.json()["end"] == "2025-08-31"
    assert_error(staff.post(f"/registry/employments/{made.pk}/end", {}), 409, "already_left")
    li = staff.get(f"/registry/people/{town.c.li.pk}").json()
    assert [w["end"] for w in li["past_workplaces"]] == ["2025-08-31"] and li["workplaces"] == []


def test_employment_writes_are_for_writers_inside_the_area(world, town):
    staff = as_api(world.community_staff)
    before = (Employment.objects.count(), Change.objects.count())
    # an organisation outside the area answers as a missing one, like a dwelling there
    far = staff.post(f"/registry/people/{town.c.li.pk}/employments", {"organization": town.c.far_shop.pk})
    assert_error(far, 404, "not_found")
    assert_error(
        staff.post(f"/registry/people/{town.c.zhao.pk}/employments", {"organization": town.c.shop.pk}), 404, "not_found"
    )
    # the far employment's organisation, and zhao's home, are outside c1: it cannot be ended from here
    assert_error(staff.post(f"/registry/employments/{town.zhang_far.pk}/end", {}), 404, "not_found")
    assert_error(staff.post(f"/registry/employments/{town.zhao_at_shop.pk}/end", {}), 404, "not_found")
    worker = as_api(world.grid_worker)
    assert_error(
        worker.post(f"/registry/people/{town.c.li.pk}/employments", {"organization": town.c.shop.pk}), 403, "forbidden"
    )
    assert_error(worker.post(f"/registry/employments/{town.wang_at_shop.pk}/end", {}), 404, "not_found")  # wang: g2
    assert (Employment.objects.count(), Change.objects.count()) == before
    assert Employment.objects.get(pk=town.wang_at_shop.pk).end is None


def test_a_person_is_created_with_a_workplace_in_one_transaction(world, town):
    staff = as_api(world.community_staff)
    home = {"dwelling": town.c.homes.g1_b.pk, "role": "tenant"}
    resp = staff.post(
        "/registry/people",
        {"name": "孙丽", "residence": home, "workplace": {"organization": town.c.shop.pk, "position": "会计"}},
    )
    assert resp.status_code == 201, resp.json()
    (work,) = resp.json()["workplaces"]
    assert (work["organization"]["id"], work["position"], work["start"]) == (
        town.c.shop.pk,
        "会计",
        clock.now().date().isoformat(),
    )
    people = Person.objects.count()
    far = staff.post(
        "/registry/people", {"name": "孙莉", "residence": home, "workplace": {"organization": town.c.far_shop.pk}}
    )
    assert_error(far, 404, "not_found")
    assert Person.objects.count() == people and not Person.objects.filter(name="孙莉").exists()


# --- pages ------------------------------------------------------------------------------------------------------


def test_the_person_page_shows_workplaces_linked_in_the_area_and_past_ones_folded(world, town):
    html = html_of(client_for(world.community_staff).get(f"/registry/people/{town.c.wang.pk}/"))
    section = html[html.index('data-section="workplaces"') :]
    section = section[: section.index("</section>")]
    assert "工作单位" in section and "收银员" in section and "2024-02-01" in section
    assert f'href="/registry/organizations/{town.c.shop.pk}/"' in section
    past = section[section.index("<details data-past-workplaces>") :]
    assert "以往工作单位（1）" in past and "2023-12-31" in past and "三社区便利店" not in section
    assert f'href="/registry/employments/{town.wang_at_shop.pk}/end/?back=person"' in section
    assert f'href="/registry/people/{town.c.wang.pk}/employments/new/"' in section
    zhang = html_of(client_for(world.community_staff).get(f"/registry/people/{town.c.zhang.pk}/"))
    assert "三社区便利店" not in zhang and "<span data-masked>***</span>" in zhang
    assert f"/registry/employments/{town.zhang_far.pk}/end/" not in zhang  # its organisation is outside the area
    # grid workers read, they do not add or end
    worker = html_of(client_for(world.grid_worker).get(f"/registry/people/{town.c.zhang.pk}/"))
    assert "添加工作单位" not in worker and "/end/" not in worker
    li = html_of(client_for(world.community_staff).get(f"/registry/people/{town.c.li.pk}/"))
    assert "暂无已知的工作单位。" in li and "data-past-workplaces" not in li


def test_the_organisation_page_lists_its_staff_masked_and_paginated(world, town):
    c = town.c
    page = client_for(world.community_staff).get(f"/registry/organizations/{c.shop.pk}/")
    html = html_of(page)
    assert "从业人员" in html and "现有 2 人在此工作" in html
    assert [e.person.name for e in page.context["workers"].object_list] == ["王小明", ZHAO_NAME]
    assert f'href="/registry/people/{c.wang.pk}/"' in html
    assert f'href="/registry/people/{c.zhao.pk}/"' not in html and "（居住在辖区外）" in html  # zhao lives in g3
    # the street dispatcher sees names masked (person.name L3 above their clearance)
    masked = html_of(client_for(world.street_dispatcher).get(f"/registry/organizations/{c.shop.pk}/"))
    assert "王小明" not in masked and mask_name("王小明") in masked and ZHAO_NAME not in masked
    empty = html_of(client_for(world.community_staff_c3).get(f"/registry/organizations/{c.far_shop.pk}/"))
    assert "现有 1 人在此工作" in empty  # zhang, living in g1: outside c3, named without a link
    for n in range(30):
        person = actions.create_person(by=None, source=MANUAL, name=f"店员{n:02d}")
        actions.employ(person, c.shop, since=date(2024, 1, 1), by=None, source=MANUAL)
    staff = client_for(world.community_staff)
    first = staff.get(f"/registry/organizations/{c.shop.pk}/")
    assert first.context["workers"].paginator.count == 32 and len(first.context["workers"].object_list) == 25
    second = staff.get(f"/registry/organizations/{c.shop.pk}/", {"page": 2}, headers={"HX-Request": "true"})
    body = html_of(second)
    assert "<html" not in body and 'id="workers"' not in body and body.count("data-employment=") == 7


def test_an_organisation_without_known_staff_says_so(world, community):  # noqa: F811
    html = html_of(client_for(world.community_staff).get(f"/registry/organizations/{community.shop.pk}/"))
    assert "暂无已知的从业人员。" in html and "添加工作单位" in html


def test_staff_add_a_workplace_by_searching_the_organisations_of_their_area(world, town):
    c = town.c
    staff = client_for(world.community_staff)
    url = f"/registry/people/{c.li.pk}/employments/new/"
    form = staff.get(url)
    assert form.status_code == 200 and "添加工作单位" in html_of(form) and "入职日期" in html_of(form)
    found = staff.get(url, {"q": "阳光"}, headers={"HX-Request": "true"})
    assert "<html" not in html_of(found) and f'value="{c.shop.pk}"' in html_of(found)
    assert "三社区便利店" not in html_of(staff.get(url, {"q": "三社区"}))  # outside the area: not offered
    missing = staff.post(url, {"position": "店员", "since": "2025-01-01"})
    assert missing.status_code == 400 and "请先查找并选择单位。" in html_of(missing)
    smuggled = staff.post(url, {"organization": c.far_shop.pk, "since": "2025-01-01"})
    assert smuggled.status_code == 400 and "请选择您辖区内的单位。" in html_of(smuggled)
    kept = staff.post(url, {"q": "阳光", "organization": c.shop.pk, "since": "not a date"})
    assert kept.status_code == 400 and f'value="{c.shop.pk}" checked' in html_of(kept)  # the search and choice stay
    saved = staff.post(url, {"q": "阳光", "organization": c.shop.pk, "position": "店员", "since": "2025-01-01"})
    assert saved.status_code == 302 and saved["Location"] == f"/registry/people/{c.li.pk}/"
    made = Employment.objects.get(person=c.li)
    assert (made.organization, made.position, made.start) == (c.shop, "店员", date(2025, 1, 1))
    logged = Change.objects.filter(record_type="employment", record_id=made.pk)
    assert set(logged.values_list("source_kind", "actor")) == {("manual", world.community_staff.pk)}
    again = staff.post(url, {"organization": c.shop.pk, "since": "2025-02-01"})
    assert again.status_code == 400 and "已在该单位工作" in html_of(again)
    assert client_for(world.grid_worker).get(f"/registry/people/{c.zhang.pk}/employments/new/").status_code == 403
    assert client_for(world.community_staff_c3).get(url).status_code == 404


def test_ending_an_employment_asks_first_then_ends_it(world, town):
    staff = client_for(world.community_staff)
    li_at_shop = actions.employ(town.c.li, town.c.shop, since=date(2024, 1, 1), by=None, source=MANUAL)
    assert client_for(world.grid_worker).get(f"/registry/employments/{li_at_shop.pk}/end/").status_code == 403
    url = f"/registry/employments/{town.wang_at_shop.pk}/end/"
    ask = staff.get(url, {"back": "organization"})
    html = html_of(ask)
    assert ask.status_code == 200 and "王小明 不再在 阳光超市 工作？" in html and 'name="until"' in html
    inline = staff.get(url, headers={"HX-Request": "true"})
    assert "<html" not in html_of(inline) and "结束从业" in html_of(inline)
    assert Employment.objects.get(pk=town.wang_at_shop.pk).end is None  # asking changes nothing
    early = staff.post(url, {"until": "2024-01-01", "back": "person"})
    assert early.status_code == 400 and "离职日期不能早于入职日期。" in html_of(early)
    done = staff.post(url, {"until": "2025-05-31", "back": "organization"})
    assert done.status_code == 302 and done["Location"] == f"/registry/organizations/{town.c.shop.pk}/"
    assert Employment.objects.get(pk=town.wang_at_shop.pk).end == date(2025, 5, 31)
    ended = html_of(staff.get(url))
    assert "该从业关系已结束" in ended and 'name="until"' not in ended
    assert client_for(world.grid_worker).get(url).status_code == 404  # wang lives in g2, outside the worker's grid
    assert client_for(world.community_staff_c3).get(url).status_code == 404
    assert client_for(world.community_staff).get(f"/registry/employments/{town.zhang_far.pk}/end/").status_code == 404


def test_a_future_end_keeps_the_workplace_current_until_that_day(world, town):
    later = clock.now().date() + timedelta(days=30)
    actions.leave_employment(town.wang_at_shop, until=later, by=None, source=MANUAL)
    wang = as_api(world.community_staff).get(f"/registry/people/{town.c.wang.pk}").json()
    assert [w["end"] for w in wang["workplaces"]] == [later.isoformat()]
    assert queries.current_employments().filter(pk=town.wang_at_shop.pk).exists()
    assert Organization.objects.get(pk=town.c.shop.pk).employments.filter(end__isnull=True).count() == 1  # zhao
