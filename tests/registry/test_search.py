"""Search by each kind of query, scoped to the user's area, and the shape of the SQL it runs."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shequ.registry import actions, search
from shequ.registry.actions import MANUAL
from shequ.registry.search import Kind, classify

from .conftest import dwelling_in
from .ids import make_credit_code
from .test_pages import (
    LI_ID,
    ZHANG_ID,
    ZHAO_ID,
    Community,
    community,  # noqa: F401  (a fixture, requested by town below)
)


@pytest.fixture
def town(community: Community) -> Community:  # noqa: F811
    """The people, households and shops of test_pages' ``community``."""
    return community


@pytest.mark.parametrize(
    "q, kind, text",
    [
        ("440304195003082318", Kind.ID_NUMBER, "440304195003082318"),
        ("44030419500308231x", Kind.ID_NUMBER, "44030419500308231X"),
        ("440304500308231", Kind.ID_NUMBER, None),  # legacy 15 digits, upgraded
        ("231X", Kind.ID_TAIL, "231X"),
        ("２３１８", Kind.ID_TAIL, "2318"),  # full-width digits from a Chinese input method
        ("082318", Kind.ID_SUFFIX, "082318"),
        ("139 0013 9000", Kind.PHONE, "13900139000"),
        ("ZJG", Kind.INITIALS, "zjg"),
        ("张建", Kind.NAME, "张建"),
        ("一网格1栋101", Kind.ADDRESS, "一网格1栋"),
        ("幸福路12号", Kind.ADDRESS, "幸福路12号"),
        ("阳光花园", Kind.ADDRESS, "阳光花园"),
        ("  ", Kind.NONE, ""),
        ("%_*", Kind.NONE, "%_*"),
    ],
)
def test_it_reads_what_kind_of_query_it_is(q, kind, text):
    parsed = classify(q)
    assert parsed.kind == kind
    if text is not None:
        assert parsed.text == text
    if q == "一网格1栋101":
        assert parsed.room == "101"


def test_a_legacy_number_is_searched_as_its_18_character_form(world, homes):
    legacy = "440304500308231"  # 15 digits: born 1950-03-08, sequence 231
    assert classify(legacy).text == ZHANG_ID


def names(people) -> list[str]:
    return [p.name for p in people]


def test_it_finds_people_by_each_kind(world, town: Community):
    staff = world.community_staff
    assert names(search.search_people(staff, ZHANG_ID)) == ["张建国"]
    assert names(search.search_people(staff, "440304500308231")) == ["张建国"]  # the legacy form
    assert names(search.search_people(staff, ZHANG_ID.lower())) == ["张建国"]
    assert names(search.search_people(staff, ZHANG_ID[-4:])) == ["张建国"]
    assert names(search.search_people(staff, ZHANG_ID[-6:])) == ["张建国"]
    # Same last 4, different 6: the suffix narrows.
    other = ("11" if ZHANG_ID[-6:-4] != "11" else "22") + ZHANG_ID[-4:]
    assert names(search.search_people(staff, other)) == []
    assert names(search.search_people(staff, "13900139000")) == ["张建国"]  # the current phone
    assert names(search.search_people(staff, "13800138000")) == []  # the old one
    assert names(search.search_people(staff, "zjg")) == ["张建国"]
    assert names(search.search_people(staff, "z")) == ["张建国"]
    assert names(search.search_people(staff, "李")) == ["李秀英"]
    assert names(search.search_people(staff, "王小明")) == ["王小明"]
    g1 = world.g1.name
    assert names(search.search_people(staff, f"{g1}1栋101")) == ["张建国", "李秀英"]
    assert names(search.search_people(staff, f"{g1}1栋 101室")) == ["张建国", "李秀英"]
    assert names(search.search_people(staff, f"{g1}1栋")) == ["张建国", "李秀英"]  # Wang moved out of 102
    assert names(search.search_people(staff, f"{g1}1栋102")) == []
    assert names(search.search_people(staff, "%")) == []


def test_it_finds_nothing_outside_the_area(world, town: Community):
    outsider = world.community_staff_c3
    for q in (ZHANG_ID, ZHANG_ID[-4:], ZHANG_ID[-6:], "13900139000", "zjg", "张", f"{world.g1.name}1栋101"):
        assert search.search_people(outsider, q) == [], q
    assert names(search.search_people(outsider, ZHAO_ID[-4:])) == ["赵六"]
    assert names(search.search_people(outsider, "zl")) == ["赵六"]
    assert names(search.search_people(world.admin, "zl")) == ["赵六"]
    # A grid worker of g1 does not find Wang, who lives in g2 now.
    assert search.search_people(world.grid_worker, "王") == []
    assert names(search.search_people(world.grid_worker_g2, "王")) == ["王小明"]
    # Residents and handlers do not see names in clear: a name search is refused, not just empty (no oracle).
    for user in (world.resident, world.handler):
        with pytest.raises(search.SearchRefused):
            search.search_people(user, "张")


def test_merged_away_records_are_not_found(world, town: Community):
    from shequ.registry.models import Person

    Person.objects.filter(pk=town.li.pk).update(merged_into=town.zhang)
    assert search.search_people(world.community_staff, "李") == []
    assert search.search_people(world.admin, LI_ID) == []


def test_the_limit_holds_and_results_come_in_index_order(world, homes):
    home = dwelling_in(world.g1, room="909", floor=9)
    for n in range(25):
        person = actions.create_person(by=world.grid_worker, source=MANUAL, name=f"张{chr(0x4E00 + n)}")
        actions.move_in(person, home, role="tenant", since=date(2024, 1, 1), by=world.grid_worker, source=MANUAL)
    found = search.search_people(world.community_staff, "张", limit=20)
    assert len(found) == 20
    assert names(found) == sorted(names(found))
    assert len(search.search_people(world.community_staff, "张", limit=5)) == 5


def test_it_finds_organizations(world, town: Community):
    staff = world.community_staff
    assert names(search.search_organizations(staff, "阳光")) == ["阳光超市"]
    assert names(search.search_organizations(staff, make_credit_code())) == ["阳光超市"]
    assert names(search.search_organizations(staff, f"{world.g1.name}2栋")) == ["阳光超市"]
    assert search.search_organizations(staff, "三社区") == []  # c3's shop
    assert names(search.search_organizations(world.community_staff_c3, "三社区")) == ["三社区便利店"]
    assert names(search.search_organizations(world.admin, "三")) == ["三社区便利店"]


def test_the_sql_uses_ranges_and_a_correlated_exists_never_like(world, town: Community):
    """The query shape the plans in docs/registry.md rely on: no LIKE on people, the area as EXISTS."""
    for q in ("zjg", "张", ZHANG_ID[-4:], "13900139000", ZHANG_ID):
        with CaptureQueriesContext(connection) as captured:
            search.search_people(world.community_staff, q)
        sql = " ".join(c["sql"] for c in captured.captured_queries).upper()
        assert "EXISTS" in sql, q
        assert " LIKE " not in sql, (q, sql)
    with CaptureQueriesContext(connection) as captured:
        search.search_people(world.community_staff, ZHANG_ID[-6:])
    sql = " ".join(c["sql"] for c in captured.captured_queries)
    # The indexed tail finds the candidates; only those are decrypted to check the last six characters.
    assert '"id_tail" = ' in sql and " LIKE " not in sql.upper()


def test_it_stays_correct_with_a_name_at_the_top_of_the_range(world, homes):
    """The range's upper bound sits above every character, even those outside the BMP (𠀀, CJK extension B)."""
    person = actions.create_person(by=world.grid_worker, source=MANUAL, name="张\U00020000")
    actions.move_in(person, homes.g1_a, role="tenant", since=date(2024, 1, 1), by=world.grid_worker, source=MANUAL)
    assert names(search.search_people(world.community_staff, "张")) == ["张\U00020000"]
