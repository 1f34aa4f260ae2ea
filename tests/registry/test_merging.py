"""Merging and unmerging people: field-level choices, what moves, history, and exact round trips."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.core.errors import InvalidInput, InvalidTransition
from shequ.registry import actions, merging, queries, reviewing, unmerging
from shequ.registry.actions import MANUAL
from shequ.registry.models import (
    Change,
    Employment,
    Household,
    MatchCandidate,
    Merge,
    Person,
    PersonTag,
    Residence,
)

from .ids import make_id

BORN = date(1980, 5, 3)
ZHANG_ID = make_id(BORN, seq=231)  # odd sequence: male


def person(**fields) -> Person:
    return actions.create_person(by=None, source=MANUAL, **fields)


def state(*people: Person) -> tuple:
    """Everything a merge may touch, as plain values."""
    pks = [p.pk for p in people]
    return (
        tuple(Person.objects.filter(pk__in=pks).order_by("pk").values_list("pk", *Person.TRACKED, "merged_into")),
        tuple(
            Residence.objects.filter(pk__in=Residence.objects.filter(person__in=pks).values("pk"))
            .order_by("pk")
            .values_list("pk", "person", "dwelling", "start", "end")
        ),
        tuple(PersonTag.objects.filter(person__in=pks).order_by("pk").values_list("pk", "person", "tag", "until")),
        tuple(Household.objects.filter(head__in=pks).order_by("pk").values_list("pk", "head")),
        tuple(
            Employment.objects.filter(pk__in=Employment.objects.filter(person__in=pks).values("pk"))
            .order_by("pk")
            .values_list("pk", "person", "organization", "start", "end")
        ),
    )


@pytest.fixture
def pair(world, homes):
    kept = person(name="张晓明", phone="13800138000", hukou_address="深圳市南山区")
    merged = person(name="章小明", id_number=ZHANG_ID, phone="13800138000", ethnicity="01")
    actions.move_in(kept, homes.g1_a, role="owner", since=date(2020, 1, 1), by=None, source=MANUAL)
    actions.move_in(merged, homes.g1_b, role="tenant", since=date(2021, 1, 1), by=None, source=MANUAL)
    actions.tag(merged, "elderly_alone", since=date(2022, 1, 1), by=None, source=MANUAL)
    household = actions.create_household(homes.g1_b, number="2", head=merged, by=None, source=MANUAL)
    return kept, merged, household


def test_it_merges_with_chosen_values_and_moves_what_hangs_on_the_merged_record(world, homes, pair):
    kept, merged, household = pair
    record = merging.merge(
        kept,
        merged,
        choices={"id_number": "merged", "birth_date": "merged", "gender": "merged", "name": "kept"},
        by=world.community_staff,
    )
    kept.refresh_from_db()
    merged.refresh_from_db()
    assert (kept.name, kept.id_number, kept.birth_date, kept.gender) == ("张晓明", ZHANG_ID, BORN, "1")
    # Empty on the kept record, so the merged record's value comes by default.
    assert (kept.ethnicity, kept.hukou_address) == ("01", "深圳市南山区")
    assert (merged.merged_into, merged.id_number) == (kept, None)
    assert Person.objects.current().filter(pk=merged.pk).count() == 0
    assert set(Residence.objects.filter(person=kept).values_list("dwelling", flat=True)) == {
        homes.g1_a.pk,
        homes.g1_b.pk,
    }
    assert list(PersonTag.objects.filter(person=kept).values_list("tag__code", flat=True)) == ["elderly_alone"]
    household.refresh_from_db()
    assert household.head == kept
    assert record.moved["heads"] == [household.pk]
    assert len(record.moved["residences"]) == 1 and len(record.moved["tags"]) == 1
    assert (record.automatic, record.by, record.before["merged"]["id_number"]) == (
        False,
        world.community_staff,
        ZHANG_ID,
    )
    logged = Change.objects.filter(pk__gt=record.moved["first_change"], actor=world.community_staff)
    assert set(logged.filter(record_type="person", record_id=kept.pk).values_list("field", flat=True)) == {
        "id_number",
        "birth_date",
        "gender",
        "ethnicity",
        "merged_into",
    }
    assert [(c.field, c.old_value, c.new_value) for c in logged.filter(record_type="person", record_id=merged.pk)] == [
        ("id_number", ZHANG_ID, None),
        ("merged_into", None, str(kept.pk)),
    ]
    assert set(logged.values_list("source_kind", flat=True)) == {"manual"}
    assert logged.filter(record_type="residence", field="person").count() == 1
    assert logged.filter(record_type="household", field="head").count() == 1


def test_it_ends_a_duplicate_residence_and_tag_instead_of_moving_them(world, homes):
    a, b = person(name="李梅", phone="13900139000"), person(name="李玫", phone="13900139000")
    for p in (a, b):
        actions.move_in(p, homes.g2_a, role="family", since=date(2020, 1, 1), by=None, source=MANUAL)
        actions.tag(p, "low_income", since=date(2020, 1, 1), by=None, source=MANUAL)
    before = state(a, b)
    record = merging.merge(a, b, by=None)
    assert Residence.objects.filter(person=a, end__isnull=True).count() == 1
    assert Residence.objects.get(person=b).end is not None
    assert PersonTag.objects.get(person=b).until is not None
    assert (len(record.moved["residences_closed"]), len(record.moved["tags_closed"])) == (1, 1)
    unmerging.unmerge(record, by=None)
    assert state(a, b) == before


def test_it_unmerges_back_to_exactly_before_with_history(world, homes, pair):
    kept, merged, _household = pair
    before = state(kept, merged)
    record = merging.merge(kept, merged, choices={"name": "merged"}, by=world.community_staff)
    assert state(kept, merged) != before
    undone = unmerging.unmerge(record, by=world.street_dispatcher)
    assert state(kept, merged) == before
    assert (undone.undone_by, undone.undone_at is not None) == (world.street_dispatcher, True)
    merged.refresh_from_db()
    assert Person.objects.current().filter(pk=merged.pk).exists()
    back = Change.objects.filter(actor=world.street_dispatcher)
    assert set(back.filter(record_type="person", record_id=kept.pk).values_list("field", flat=True)) >= {
        "name",
        "id_number",
        "merged_into",
    }
    assert back.filter(record_type="person", record_id=merged.pk, field="merged_into", new_value=None).exists()
    with pytest.raises(InvalidTransition) as again:
        unmerging.unmerge(record, by=None)
    assert again.value.code == "unmerge_unsafe"


def test_it_refuses_to_unmerge_after_an_edit_and_says_which_field(world, pair):
    kept, merged, _household = pair
    record = merging.merge(kept, merged, by=None)
    actions.update_person(kept, by=None, source=MANUAL, phone="13700137000")
    after_edit = state(kept, merged)
    with pytest.raises(InvalidTransition) as refused:
        unmerging.unmerge(record, by=None)
    assert "电话" in refused.value.message
    assert state(kept, merged) == after_edit
    assert Merge.objects.get().undone_at is None


def test_it_refuses_to_unmerge_under_a_later_merge_until_that_is_undone(world, pair):
    kept, merged, _household = pair
    third = person(name="张晓鸣", phone="13800138000")
    first = merging.merge(kept, merged, by=None)
    second = merging.merge(kept, third, by=None)
    with pytest.raises(InvalidTransition) as refused:
        unmerging.unmerge(first, by=None)
    assert str(third.pk) in refused.value.message and "撤销" in refused.value.message
    unmerging.unmerge(second, by=None)
    unmerging.unmerge(first, by=None)
    assert Person.objects.current().filter(pk__in=[kept.pk, merged.pk, third.pk]).count() == 3


def test_it_refuses_two_id_numbers_and_self_merges_and_changes_nothing(world):
    a = person(name="王强", id_number=make_id(date(1975, 1, 20), seq=515))
    b = person(name="王强", id_number=make_id(date(1975, 1, 20), seq=517))
    before = (state(a, b), Change.objects.count())
    with pytest.raises(InvalidTransition) as two:
        merging.merge(a, b, by=None)
    assert two.value.code == "merge_two_ids"
    with pytest.raises(InvalidInput):
        merging.merge(a, a, by=None)
    assert (state(a, b), Change.objects.count(), Merge.objects.count()) == (*before, 0)


def test_it_refuses_inconsistent_choices_with_the_validation_message(world):
    a = person(name="赵敏", birth_date=date(1990, 6, 2))
    b = person(name="赵敏", id_number=make_id(date(1990, 6, 1), seq=222))
    before = (state(a, b), Change.objects.count())
    with pytest.raises(InvalidInput) as refused:
        merging.merge(a, b, choices={"id_number": "merged", "birth_date": "kept"}, by=None)
    assert refused.value.message
    assert (state(a, b), Change.objects.count()) == before


def test_it_marks_the_candidate_merged_or_distinct(world):
    a, b, c = person(name="孙丽"), person(name="孙莉"), person(name="孙立")
    one = MatchCandidate.objects.create(first=a, second=b, score=0.7)
    other = MatchCandidate.objects.create(first=a, second=c, score=0.65)
    merging.merge(b, a, candidate=one, by=world.community_staff)
    one.refresh_from_db()
    assert (one.status, one.decided_by) == ("merged", world.community_staff)
    with pytest.raises(InvalidTransition):
        reviewing.mark_distinct(one, by=None)
    with pytest.raises(InvalidInput):
        merging.merge(b, c, candidate=other, by=None)  # a is merged away; the candidate is about a and c
    reviewing.mark_distinct(other, by=world.community_staff)
    assert MatchCandidate.objects.get(pk=other.pk).status == "distinct"


# --- the round trip, as a property ------------------------------------------------------------------

NAMES = ["张晓明", "章小明", "李秀英", "王强", "刘南", "牛兰"]
FIELDS = [f for f in Person.TRACKED if f not in ("id_number", "birth_date", "gender")]
sides = st.sampled_from(["kept", "merged"])
records = st.fixed_dictionaries(
    {
        "name": st.sampled_from(NAMES),
        "phone": st.sampled_from(["", "13800138000", "13900139000"]),
        "ethnicity": st.sampled_from(["", "01", "03"]),
        "residency": st.sampled_from(["", "registered", "floating"]),
        "hukou_address": st.sampled_from(["", "深圳市南山区", "福田区"]),
        "note": st.sampled_from(["", "备注"]),
        "born": st.none() | st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31)),
        "homes": st.lists(st.integers(0, 2), max_size=2, unique=True),
        "tags": st.lists(st.sampled_from(["elderly_alone", "low_income"]), max_size=2, unique=True),
        "head": st.booleans(),
        "jobs": st.lists(st.integers(0, 1), max_size=2, unique=True),
    }
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    left=records,
    right=records,
    with_id=st.sampled_from([None, "kept", "merged"]),
    choices=st.dictionaries(st.sampled_from([*FIELDS, "id_number", "birth_date", "gender"]), sides),
)
def test_it_round_trips_any_merge_through_unmerge(world, homes, left, right, with_id, choices):
    dwellings = [homes.g1_a, homes.g1_b, homes.g2_a]
    with transaction.atomic():
        workplaces = [actions.create_organization(by=None, source=MANUAL, name=n) for n in ("甲公司", "乙商店")]
        people = []
        for side, spec in (("kept", left), ("merged", right)):
            fields = {f: spec[f] for f in FIELDS if f != "note"} | {"note": spec["note"], "birth_date": spec["born"]}
            if with_id == side:
                fields["id_number"] = make_id(spec["born"] or date(1970, 1, 1), seq=321)
                fields["birth_date"] = None
            p = person(**fields)
            for i in spec["homes"]:
                actions.move_in(p, dwellings[i], role="family", since=date(2019, 1, 1), by=None, source=MANUAL)
            for code in spec["tags"]:
                actions.tag(p, code, since=date(2019, 1, 1), by=None, source=MANUAL)
            if spec["head"]:
                actions.create_household(dwellings[0], head=p, by=None, source=MANUAL)
            for i in spec["jobs"]:
                actions.employ(p, workplaces[i], since=date(2019, 1, 1), by=None, source=MANUAL)
            people.append(p)
        kept, merged = people
        before = state(kept, merged)
        changes = Change.objects.count()
        try:
            record = merging.merge(kept, merged, choices=choices, by=None)
        except InvalidInput:
            # Values that do not combine (a birth date against the ID number): refused, nothing written.
            assert (state(kept, merged), Change.objects.count()) == (before, changes)
        else:
            assert Person.objects.get(pk=merged.pk).merged_into_id == kept.pk
            assert Change.objects.count() > changes
            unmerging.unmerge(record, by=None)
            assert state(kept, merged) == before
        transaction.set_rollback(True)


def test_it_refuses_to_unmerge_after_a_moved_residence_ended(world, homes, pair):
    kept, merged, _household = pair
    record = merging.merge(kept, merged, by=None)
    moved = Residence.objects.get(pk=record.moved["residences"][0])
    actions.move_out(moved, until=date(2030, 1, 1), by=None, source=MANUAL)
    with pytest.raises(InvalidTransition) as refused:
        unmerging.unmerge(record, by=None)
    assert "迁出" in refused.value.message
    assert Person.objects.get(pk=merged.pk).merged_into == kept


def test_open_employments_move_to_the_kept_record_and_come_back_on_unmerge(world, homes, pair):
    kept, merged, _household = pair
    shop = actions.create_organization(by=None, source=MANUAL, name="阳光超市")
    firm = actions.create_organization(by=None, source=MANUAL, name="星河科技有限公司")
    old = actions.create_organization(by=None, source=MANUAL, name="旧单位")
    moving = actions.employ(merged, shop, since=date(2022, 3, 1), position="店员", by=None, source=MANUAL)
    both_kept = actions.employ(kept, firm, since=date(2020, 1, 1), by=None, source=MANUAL)
    both_merged = actions.employ(merged, firm, since=date(2021, 6, 1), by=None, source=MANUAL)
    left = actions.employ(merged, old, since=date(2015, 1, 1), by=None, source=MANUAL)
    actions.leave_employment(left, until=date(2019, 12, 31), by=None, source=MANUAL)
    before = state(kept, merged)
    record = merging.merge(kept, merged, by=world.community_staff)
    # the open one moves; the one at an organisation the kept record works at already ends; the ended one stays
    assert Employment.objects.get(pk=moving.pk).person == kept
    assert Employment.objects.get(pk=both_merged.pk).end is not None
    assert Employment.objects.get(pk=both_kept.pk).end is None
    assert Employment.objects.get(pk=left.pk).person == merged
    assert record.moved["employments"] == [moving.pk]
    assert [pk for pk, _end in record.moved["employments_closed"]] == [both_merged.pk]
    logged = Change.objects.filter(record_type="employment", actor=world.community_staff)
    assert set(logged.values_list("record_id", "field")) == {(moving.pk, "person"), (both_merged.pk, "end")}
    assert set(queries.current_employments().filter(person=kept).values_list("organization", flat=True)) == {
        shop.pk,
        firm.pk,
    }
    unmerging.unmerge(record, by=world.street_dispatcher)
    assert state(kept, merged) == before
    back = Change.objects.filter(record_type="employment", actor=world.street_dispatcher)
    assert set(back.values_list("record_id", "field")) == {(moving.pk, "person"), (both_merged.pk, "end")}


def test_it_refuses_to_unmerge_after_a_moved_employment_ended(world, pair):
    kept, merged, _household = pair
    shop = actions.create_organization(by=None, source=MANUAL, name="阳光超市")
    actions.employ(merged, shop, since=date(2022, 3, 1), by=None, source=MANUAL)
    record = merging.merge(kept, merged, by=None)
    moved = Employment.objects.get(pk=record.moved["employments"][0])
    actions.leave_employment(moved, until=date(2030, 1, 1), by=None, source=MANUAL)
    with pytest.raises(InvalidTransition) as refused:
        unmerging.unmerge(record, by=None)
    assert "从业关系" in refused.value.message
    assert Person.objects.get(pk=merged.pk).merged_into == kept


def test_a_merge_recorded_before_employments_existed_still_undoes(world, pair):
    kept, merged, _household = pair
    record = merging.merge(kept, merged, by=None)
    for key in ("employments", "employment_ends", "employments_closed"):
        record.moved.pop(key)
    record.save(update_fields=["moved"])  # through save(): the snapshots are sealed as they are written
    unmerging.unmerge(Merge.objects.get(pk=record.pk), by=None)
    assert Person.objects.get(pk=merged.pk).merged_into is None
