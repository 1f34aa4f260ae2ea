"""Writes to the community base: validation first, one Change row per changed field, refusals change nothing."""

from __future__ import annotations

from datetime import date

import pytest

from shequ.core.errors import InvalidInput
from shequ.registry import actions
from shequ.registry.actions import MANUAL, Source
from shequ.registry.models import Change, Organization, Person, SourceKind

from .ids import make_credit_code, make_id

IMPORT = Source(SourceKind.IMPORT, "batch-7")
ZHANG_ID = make_id(date(1950, 3, 8), seq=231)  # odd sequence: male


def changes_of(record) -> list[tuple]:
    rows = Change.objects.filter(record_type=record._meta.model_name, record_id=record.pk).order_by("id")
    # Instances, not values_list: the ID number's values are decrypted when Change rows are loaded.
    return [
        (c.field, c.old_value, c.new_value, c.source_kind, c.source_ref, c.actor.username if c.actor else None)
        for c in rows.select_related("actor")
    ]


def snapshot(person: Person) -> tuple:
    person.refresh_from_db()
    return tuple(getattr(person, name) for name in Person.TRACKED), person.updated_at, Change.objects.count()


@pytest.fixture
def zhang(world) -> Person:
    return actions.create_person(
        by=world.grid_worker,
        source=IMPORT,
        name=" 张建国 ",
        id_number=ZHANG_ID.lower(),
        phone="138 0013 8000",
        ethnicity="01",
        residency="registered",
    )


def test_it_creates_a_person_with_one_change_per_value(world, zhang):
    assert (zhang.name, zhang.id_number, zhang.phone) == ("张建国", ZHANG_ID, "13800138000")
    # Birth date and gender come from the ID number when not given.
    assert (zhang.birth_date, zhang.gender) == (date(1950, 3, 8), "1")
    assert changes_of(zhang) == [
        ("id_number", None, ZHANG_ID, "import", "batch-7", "gridworker"),
        ("name", None, "张建国", "import", "batch-7", "gridworker"),
        ("gender", None, "1", "import", "batch-7", "gridworker"),
        ("birth_date", None, "1950-03-08", "import", "batch-7", "gridworker"),
        ("phone", None, "13800138000", "import", "batch-7", "gridworker"),
        ("ethnicity", None, "01", "import", "batch-7", "gridworker"),
        ("residency", None, "registered", "import", "batch-7", "gridworker"),
    ]


def test_it_updates_only_the_fields_that_change(world, zhang):
    before = Change.objects.count()
    written = actions.update_person(
        zhang, by=world.community_staff, source=MANUAL, name="张建国", phone="13900139000", note="楼长"
    )
    assert [(c.field, c.old_value, c.new_value) for c in written] == [
        ("phone", "13800138000", "13900139000"),
        ("note", None, "楼长"),
    ]
    assert Change.objects.count() == before + 2
    assert (zhang.phone, zhang.note) == ("13900139000", "楼长")
    assert changes_of(zhang)[-1] == ("note", None, "楼长", "manual", "", "c1staff")


def test_it_writes_nothing_when_nothing_changes(world, zhang):
    state = snapshot(zhang)
    assert actions.update_person(zhang, by=world.community_staff, source=MANUAL, phone="138-0013-8000") == []
    assert snapshot(zhang) == state


@pytest.mark.parametrize(
    "fields, code",
    [
        ({"phone": "12345"}, "phone_invalid"),
        ({"birth_date": date(1950, 3, 9)}, "birth_date_mismatch"),
        ({"gender": "2"}, "gender_mismatch"),
        ({"id_number": ZHANG_ID[:-1] + ("0" if ZHANG_ID[-1] != "0" else "1")}, "id_number_check_digit"),
        ({"ethnicity": "99"}, "invalid_code"),
        ({"residency": "tourist"}, "invalid_code"),
        ({"name": "  "}, "name_required"),
    ],
)
def test_it_refuses_a_bad_update_and_changes_nothing(world, zhang, fields, code):
    state = snapshot(zhang)
    with pytest.raises(InvalidInput) as refused:
        actions.update_person(zhang, by=world.community_staff, source=MANUAL, note="不应写入", **fields)
    assert refused.value.code == code
    assert snapshot(zhang) == state


def test_it_refuses_a_second_person_with_the_same_id_number(world, zhang):
    count = Person.objects.count(), Change.objects.count()
    with pytest.raises(InvalidInput) as refused:
        actions.create_person(by=world.grid_worker, source=MANUAL, name="张建国", id_number=ZHANG_ID)
    assert refused.value.code == "id_number_taken"
    assert (Person.objects.count(), Change.objects.count()) == count


def test_it_keeps_people_without_an_id_number(world):
    a = actions.create_person(by=None, source=MANUAL, name="李梅", id_number="", birth_date=date(1990, 1, 2))
    b = actions.create_person(by=None, source=MANUAL, name="李梅")
    assert (a.id_number, b.id_number) == (None, None)
    assert changes_of(a) == [
        ("name", None, "李梅", "manual", "", None),
        ("birth_date", None, "1990-01-02", "manual", "", None),
    ]


def test_it_upgrades_a_legacy_id_number_on_the_way_in(world):
    legacy = "440304500308231"
    person = actions.create_person(by=None, source=MANUAL, name="张建国", id_number=legacy)
    assert person.id_number == ZHANG_ID


def test_it_creates_and_updates_an_organization_with_history(world):
    code = make_credit_code("91440300MA5D12345")
    shop = actions.create_organization(
        by=world.grid_worker, source=IMPORT, name="好邻居便利店", credit_code=code.lower(), type="individual"
    )
    assert shop.credit_code == code
    actions.update_organization(shop, by=world.grid_worker, source=MANUAL, contact_phone="0755 88886666")
    assert changes_of(shop) == [
        ("credit_code", None, code, "import", "batch-7", "gridworker"),
        ("name", None, "好邻居便利店", "import", "batch-7", "gridworker"),
        ("type", None, "individual", "import", "batch-7", "gridworker"),
        ("contact_phone", None, "0755-88886666", "manual", "", "gridworker"),
    ]


def test_it_refuses_an_organization_with_a_bad_credit_code(world):
    code = make_credit_code("91440300MA5D12345")
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as refused:
        actions.create_organization(by=None, source=MANUAL, name="好邻居便利店", credit_code=bad)
    assert refused.value.code == "credit_code_check_digit"
    assert (Organization.objects.count(), Change.objects.count()) == (0, 0)
