"""The community base's staff pages: linked navigation, the area overview, the as-of view, the manual edit, scope."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client

from shequ.core import clock
from shequ.geo.models import Dwelling
from shequ.registry import actions
from shequ.registry.actions import MANUAL, Source
from shequ.registry.models import (
    Change,
    Household,
    ImportBatch,
    ImportStatus,
    LedgerSource,
    Organization,
    Person,
    SourceKind,
)

from .conftest import Homes, dwelling_in
from .ids import make_credit_code, make_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZHANG_ID = make_id(date(1950, 3, 8), seq=231)
LI_ID = make_id(date(1952, 7, 1), seq=242)
ZHAO_ID = make_id(date(1980, 1, 2), seq=111)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


@dataclass
class Community:
    homes: Homes
    zhang: Person
    li: Person
    wang: Person
    zhao: Person  # lives in c3, outside community_staff's area
    household: Household
    shop: Organization
    far_shop: Organization
    batch: ImportBatch


@pytest.fixture(autouse=True)
def _fresh_overview_cache():
    """The district overview is cached by the newest Change id, which a rolled-back test may reuse."""
    cache.clear()


@pytest.fixture
def community(world, homes) -> Community:
    """Two people in one household in g1, one who moved from g1 to g2, one in c3, and shops in g1 and c3."""
    source = LedgerSource.objects.create(name="民政台账", department="民政")
    batch = ImportBatch.objects.create(source=source, file_name="elderly.xlsx", status=ImportStatus.APPLIED)
    imported = Source(SourceKind.IMPORT, str(batch.pk))
    with clock.frozen(at("2025-01-10")):
        zhang = actions.create_person(
            by=world.grid_worker,
            source=imported,
            name="张建国",
            id_number=ZHANG_ID,
            phone="13800138000",
            ethnicity="01",
            residency="registered",
        )
        li = actions.create_person(by=world.grid_worker, source=MANUAL, name="李秀英", id_number=LI_ID)
        wang = actions.create_person(by=world.grid_worker, source=MANUAL, name="王小明", residency="floating")
        zhao = actions.create_person(by=world.grid_worker, source=MANUAL, name="赵六", id_number=ZHAO_ID)
        household = actions.create_household(homes.g1_a, number="H001", head=zhang, by=world.grid_worker, source=MANUAL)
        for person, role in ((zhang, "owner"), (li, "family")):
            actions.move_in(
                person,
                homes.g1_a,
                role=role,
                since=date(2020, 5, 1),
                household=household,
                by=world.grid_worker,
                source=MANUAL,
            )
        old_home = actions.move_in(
            wang, homes.g1_b, role="tenant", since=date(2024, 1, 1), by=world.grid_worker, source=MANUAL
        )
        actions.move_in(zhao, homes.g3_a, role="owner", since=date(2019, 1, 1), by=world.grid_worker, source=MANUAL)
        actions.tag(zhang, "elderly_alone", since=date(2024, 6, 1), by=world.grid_worker, source=imported)
        actions.tag(li, "disabled", since=date(2024, 1, 1), by=world.grid_worker, source=MANUAL)
    with clock.frozen(at("2025-02-01")):
        actions.move_out(old_home, until=date(2025, 1, 31), by=world.grid_worker, source=MANUAL)
        actions.move_in(wang, homes.g2_a, role="tenant", since=date(2025, 2, 1), by=world.grid_worker, source=MANUAL)
        actions.untag(li, "disabled", until=date(2025, 1, 31), by=world.grid_worker, source=MANUAL)
    with clock.frozen(at("2025-03-01")):
        actions.update_person(zhang, by=world.community_staff, source=MANUAL, phone="13900139000")
    shop_home = dwelling_in(world.g1, building="2栋", room="商铺1")
    Dwelling.objects.filter(pk=shop_home.pk).update(use=Dwelling.Use.SHOP)
    shop = actions.create_organization(
        by=world.grid_worker,
        source=MANUAL,
        name="阳光超市",
        credit_code=make_credit_code(),
        premises=shop_home,
        contact_name="陈老板",
    )
    actions.tag(shop, "crowded_place", by=world.grid_worker, source=MANUAL)
    far_shop = actions.create_organization(
        by=world.grid_worker, source=MANUAL, name="三社区便利店", premises=dwelling_in(world.g3, building="9栋")
    )
    for record in (zhang, li, wang, zhao):
        record.refresh_from_db()
    return Community(homes, zhang, li, wang, zhao, household, shop, far_shop, batch)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def links(html: str) -> set[str]:
    return set(re.findall(r'href="(/registry/[^"?#]*)', html))


def test_the_pages_link_to_each_other(world, community):
    """From the overview down to a person and across: grid -> building -> dwelling -> household -> person -> ..."""
    c = client_for(world.community_staff)
    home = c.get("/registry/")
    assert home.status_code == 200
    g1 = f"/registry/grids/{world.g1.code}/"
    assert g1 in links(home.content.decode())

    grid_page = c.get(g1).content.decode()
    building = f"/registry/buildings/{community.homes.g1_a.building_id}/"
    assert building in links(grid_page)

    building_page = c.get(building).content.decode()
    dwelling = f"/registry/dwellings/{community.homes.g1_a.pk}/"
    household = f"/registry/households/{community.household.pk}/"
    zhang = f"/registry/people/{community.zhang.pk}/"
    assert {dwelling, household, zhang} <= links(building_page)
    assert g1 in links(building_page)  # breadcrumbs back up

    dwelling_page = c.get(dwelling).content.decode()
    assert {household, zhang, f"/registry/people/{community.li.pk}/", building} <= links(dwelling_page)

    household_page = c.get(household).content.decode()
    assert {zhang, f"/registry/people/{community.li.pk}/", dwelling} <= links(household_page)

    person_page = c.get(zhang).content.decode()
    assert {dwelling, household, f"/registry/people/{community.li.pk}/"} <= links(person_page)

    shop = f"/registry/organizations/{community.shop.pk}/"
    shop_building = f"/registry/buildings/{community.shop.premises.building_id}/"
    assert shop in links(c.get(g1).content.decode()) or shop in links(c.get(shop_building).content.decode())
    shop_page = c.get(shop).content.decode()
    assert f"/registry/dwellings/{community.shop.premises_id}/" in links(shop_page)
    assert shop in links(c.get(f"/registry/dwellings/{community.shop.premises_id}/").content.decode())


def test_the_overview_counts_people_by_grid_residency_and_tag(world, community):
    page = client_for(world.community_staff).get("/registry/")
    rows = {r["grid"].code: r for r in page.context["rows"]}
    assert set(rows) == {world.g1.code, world.g2.code}  # only c1's grids
    g1, g2 = rows[world.g1.code], rows[world.g2.code]
    # Wang moved to g2: he no longer counts in g1.
    assert (g1["people"], g1["households"], g1["organizations"]) == (2, 1, 1)
    assert g1["residency"] == {"registered": 1, "": 1}
    assert g2["residency"] == {"floating": 1}
    # Li's disability tag ended: only Zhang's tag counts.
    assert g1["tags"] == {"elderly_alone": 1}
    assert page.context["total"]["people"] == 3
    html = page.content.decode()
    assert "独居老人" in html and "户籍人口" in html and "流动人口" in html


def test_the_grid_page_counts_by_tag_and_residency_and_lists_buildings(world, community):
    page = client_for(world.grid_worker).get(f"/registry/grids/{world.g1.code}/")
    assert page.status_code == 200
    assert dict((t.code, n) for t, n in page.context["tags"])["elderly_alone"] == 1
    assert dict(page.context["residency"])["户籍人口"] == 1
    assert [b.name for b in page.context["page"].object_list] == ["1栋", "2栋"]
    # A grid worker of g1 does not see g2.
    assert client_for(world.grid_worker).get(f"/registry/grids/{world.g2.code}/").status_code == 404


def test_the_building_shows_households_floor_by_floor_top_first(world, community):
    upper = dwelling_in(world.g1, room="601", floor=6)
    zhao2 = actions.create_person(by=world.grid_worker, source=MANUAL, name="钱七")
    actions.move_in(zhao2, upper, role="owner", since=date(2024, 1, 1), by=world.grid_worker, source=MANUAL)
    page = client_for(world.community_staff).get(f"/registry/buildings/{upper.building_id}/")
    floors = page.context["floors"]
    assert [f["floor"] for f in floors] == [6, 1]
    first = {d["dwelling"].room: d for d in floors[1]["dwellings"]}
    assert [r.person.name for r in first["101"]["occupants"]] == ["张建国", "李秀英"]
    assert [h.number for h in first["101"]["households"]] == ["H001"]
    assert first["102"]["occupants"] == []  # Wang moved out
    html = page.content.decode()
    assert html.index("钱七") < html.index("张建国")


def test_the_dwelling_shows_current_and_past_residents(world, community):
    page = client_for(world.community_staff).get(f"/registry/dwellings/{community.homes.g1_b.pk}/")
    assert page.context["current"] == []
    assert [r.person.name for r in page.context["past"]] == ["王小明"]
    assert "租户" in page.content.decode()
    assert "2025-01-31" in page.content.decode()


def test_the_person_page_shows_labelled_fields_sources_tags_and_history(world, community):
    page = client_for(world.community_staff).get(f"/registry/people/{community.zhang.pk}/")
    html = page.content.decode()
    rows = {r["name"]: r for r in page.context["rows"]}
    assert rows["phone"]["label"] == "联系电话" and rows["phone"]["value"] == "13900139000"
    assert rows["ethnicity"]["value"] == "汉族"  # a code shown with its label
    assert rows["id_number"]["sensitivity"] == "L4"
    # Where each value came from: the phone from c1staff's manual edit, the name from the import batch.
    assert rows["phone"]["source"].source_kind == "manual" and rows["phone"]["source"].actor == world.community_staff
    assert rows["name"]["batch"] == community.batch
    assert f"民政台账 #{community.batch.pk}" in html and "elderly.xlsx" in html
    assert [t.tag.code for t in page.context["tags"]] == ["elderly_alone"]
    # History, newest first, with old and new values.
    first = page.context["history"][0]
    assert (first["label"], first["old"], first["new"]) == ("联系电话", "13800138000", "13900139000")
    assert first["change"].actor == world.community_staff
    assert [r.person.name for r in page.context["members"][0]["members"]] == ["李秀英"]
    li = client_for(world.community_staff).get(f"/registry/people/{community.li.pk}/")
    assert [t.tag.code for t in li.context["ended_tags"]] == ["disabled"] and li.context["tags"] == []


def test_the_person_page_shows_the_record_as_of_a_date(world, community):
    c = client_for(world.community_staff)
    url = f"/registry/people/{community.zhang.pk}/"
    before = c.get(url, {"as_of": "2025-02-15"})
    assert {r["name"]: r["value"] for r in before.context["as_of_rows"]}["phone"] == "13800138000"
    after = c.get(url, {"as_of": "2025-03-02"})
    assert {r["name"]: r["value"] for r in after.context["as_of_rows"]}["phone"] == "13900139000"
    earlier = c.get(url, {"as_of": "2024-12-31"})
    assert earlier.context["as_of_rows"] == [] and "2024-12-31" in earlier.content.decode()
    bad = c.get(url, {"as_of": "31/12/2024"})
    assert bad.status_code == 200 and bad.context["as_of_error"] == "请按 YYYY-MM-DD 填写日期。"


def test_the_lists_search_paginate_and_say_when_empty(world, community):
    c = client_for(world.community_staff)
    everyone = c.get("/registry/people/")
    assert [p.name for p in everyone.context["page"].object_list] == ["张建国", "李秀英", "王小明"]
    found = c.get("/registry/people/", {"q": "zjg"})
    assert [p.name for p in found.context["page"].object_list] == ["张建国"]
    assert found.context["searched_by"] == "按拼音首字母"
    none = c.get("/registry/people/", {"q": "赵六"})  # lives in c3
    assert not none.context["page"].object_list
    assert "在您的辖区内没有找到" in none.content.decode()
    partial = c.get("/registry/people/", {"q": "zjg"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and "张建国" in partial.content.decode()
    orgs = c.get("/registry/organizations/", {"q": "阳光"})
    assert [o.name for o in orgs.context["page"].object_list] == ["阳光超市"]
    assert not c.get("/registry/organizations/", {"q": "不存在的单位"}).context["page"].object_list
    for n in range(30):
        actions.move_in(
            actions.create_person(by=world.grid_worker, source=MANUAL, name=f"测试{n:02d}"),
            community.homes.g1_b,
            role="tenant",
            since=date(2024, 1, 1),
            by=world.grid_worker,
            source=MANUAL,
        )
    first = c.get("/registry/people/", {"q": "测试"})
    assert first.context["page"].paginator.count == 30 and len(first.context["page"].object_list) == 25
    second = c.get("/registry/people/", {"q": "测试", "page": 2})
    assert [p.name for p in second.context["page"].object_list] == [f"测试{n}" for n in range(25, 30)]


def test_staff_edit_a_person_through_the_dictionary_form(world, community):
    c = client_for(world.community_staff)
    url = f"/registry/people/{community.wang.pk}/edit/"
    form = c.get(url)
    assert form.status_code == 200
    html = form.content.decode()
    assert "联系电话" in html and "人口类型" in html and "流动人口" in html  # labels and code items
    saved = c.post(url, {"name": "王小明", "phone": "139 0000 1111", "residency": "floating", "ethnicity": "01"})
    assert saved.status_code == 302 and saved["Location"] == f"/registry/people/{community.wang.pk}/"
    community.wang.refresh_from_db()
    assert (community.wang.phone, community.wang.ethnicity) == ("13900001111", "01")
    last = Change.objects.filter(record_type="person", record_id=community.wang.pk).order_by("-id").first()
    assert (last.source_kind, last.actor) == ("manual", world.community_staff)


def test_a_refused_edit_shows_the_reason_in_chinese_and_changes_nothing(world, community):
    c = client_for(world.community_staff)
    url = f"/registry/people/{community.wang.pk}/edit/"
    before = Change.objects.count()
    bad_phone = c.post(url, {"name": "王小明", "phone": "12345", "residency": "floating"})
    assert bad_phone.status_code == 400
    assert "手机" in bad_phone.content.decode()  # the validator's Chinese message, beside the field
    # The ID number (L4) is masked for community staff: the form does not offer it, and a posted one is ignored.
    ignored = c.post(url, {"name": "王小明", "id_number": ZHANG_ID, "residency": "floating"})
    assert ignored.status_code == 302
    assert not community.wang.__class__.objects.filter(pk=community.wang.pk, id_tail=ZHANG_ID[-4:]).exists()
    no_name = c.post(url, {"name": "", "residency": "floating"})
    assert no_name.status_code == 400
    assert Change.objects.count() == before


def test_grid_workers_may_not_edit_by_hand(world, community):
    c = client_for(world.grid_worker)
    assert c.get(f"/registry/people/{community.zhang.pk}/").status_code == 200
    assert "/edit/" not in c.get(f"/registry/people/{community.zhang.pk}/").content.decode()
    assert c.get(f"/registry/people/{community.zhang.pk}/edit/").status_code == 403


def test_records_outside_the_area_are_404(world, community):
    outsider = client_for(world.community_staff_c3)
    for url in (
        f"/registry/people/{community.zhang.pk}/",
        f"/registry/people/{community.zhang.pk}/edit/",
        f"/registry/households/{community.household.pk}/",
        f"/registry/dwellings/{community.homes.g1_a.pk}/",
        f"/registry/buildings/{community.homes.g1_a.building_id}/",
        f"/registry/organizations/{community.shop.pk}/",
        f"/registry/grids/{world.g1.code}/",
        "/registry/people/999999/",
    ):
        assert outsider.get(url).status_code == 404, url
    # ... while their own records open.
    assert outsider.get(f"/registry/people/{community.zhao.pk}/").status_code == 200
    assert outsider.get(f"/registry/organizations/{community.far_shop.pk}/").status_code == 200
    assert [p.name for p in outsider.get("/registry/people/").context["page"].object_list] == ["赵六"]
    post = outsider.post(f"/registry/people/{community.zhang.pk}/edit/", {"name": "改名"})
    assert post.status_code == 404
    community.zhang.refresh_from_db()
    assert community.zhang.name == "张建国"


def test_residents_go_to_the_portal_and_visitors_log_in(world, community):
    resident = client_for(world.resident).get("/registry/")
    assert resident.status_code == 302 and resident["Location"] == "/portal/"
    anonymous = Client().get(f"/registry/people/{community.zhang.pk}/")
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]


def test_an_administrator_sees_everything(world, community):
    c = client_for(world.admin)
    assert {r["grid"].code for r in c.get("/registry/").context["rows"]} == {
        world.g1.code,
        world.g2.code,
        world.g3.code,
        world.g4.code,
    }
    assert c.get(f"/registry/people/{community.zhao.pk}/").status_code == 200
