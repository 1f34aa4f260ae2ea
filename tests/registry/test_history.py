"""History and provenance: a record as it was, where each value came from, residences and tags as history."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition
from shequ.registry import actions, bulk_writes, queries
from shequ.registry.actions import MANUAL, Source
from shequ.registry.models import Change, Person, PersonTag, Residence, SourceKind

from .ids import make_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
COLLECTION = Source(SourceKind.COLLECTION, "task-12")
API = Source(SourceKind.API, "hotline")


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


@pytest.fixture
def wang(world):
    with clock.frozen(at("2025-01-10")):
        person = actions.create_person(by=world.grid_worker, source=MANUAL, name="王芳", phone="13700137000")
    with clock.frozen(at("2025-03-01")):
        actions.update_person(
            person, by=world.grid_worker, source=COLLECTION, phone="13600136000", residency="floating"
        )
    with clock.frozen(at("2025-06-01")):
        actions.update_person(person, by=world.system, source=API, name="王芳芳")
    return person


def test_it_shows_a_person_as_they_were_on_a_past_date(world, wang):
    assert queries.person_as_of(wang, date(2025, 1, 9)) is None
    jan = queries.person_as_of(wang, date(2025, 1, 10))
    assert (jan["name"], jan["phone"], jan["residency"], jan["id_number"]) == ("王芳", "13700137000", "", None)
    april = queries.person_as_of(wang, date(2025, 4, 1))
    assert (april["name"], april["phone"], april["residency"]) == ("王芳", "13600136000", "floating")
    now = queries.person_as_of(wang, at("2025-07-01"))
    assert now == {name: getattr(wang, name) for name in wang.TRACKED}


def test_it_rebuilds_dates_as_dates(world):
    number = make_id(date(1988, 8, 8), seq=444)
    person = actions.create_person(by=None, source=MANUAL, name="赵敏", id_number=number)
    rebuilt = queries.person_as_of(person, clock.now())
    assert (rebuilt["birth_date"], rebuilt["gender"], rebuilt["id_number"]) == (date(1988, 8, 8), "2", number)


def test_it_says_where_each_current_value_came_from(world, wang):
    sources = queries.field_sources(wang)
    assert {f: (c.source_kind, c.source_ref, c.actor.username, c.at) for f, c in sources.items()} == {
        "name": ("api", "hotline", "hotline", at("2025-06-01")),
        "phone": ("collection", "task-12", "gridworker", at("2025-03-01")),
        "residency": ("collection", "task-12", "gridworker", at("2025-03-01")),
    }


def test_it_keeps_history_when_someone_moves_out(world, homes, wang):
    with clock.frozen(at("2025-02-01")):
        home = actions.move_in(
            wang, homes.g1_a, role="tenant", since=date(2025, 2, 1), by=world.grid_worker, source=MANUAL
        )
    assert list(queries.people_in(world.g1)) == [wang]
    assert list(queries.people_in(world.c1)) == [wang]
    assert list(queries.people_in(world.g2)) == []

    with clock.frozen(at("2025-05-01")):
        actions.move_out(home, until=date(2025, 4, 30), by=world.grid_worker, source=MANUAL)
        assert list(queries.people_in(world.c1)) == []
        new_home = actions.move_in(
            wang, homes.g3_a, role="owner", since=date(2025, 5, 1), by=world.grid_worker, source=MANUAL
        )
        assert list(queries.people_in(world.g3)) == [wang]
    assert list(
        Residence.objects.filter(person=wang).order_by("start").values_list("dwelling", "role", "start", "end")
    ) == [
        (homes.g1_a.pk, "tenant", date(2025, 2, 1), date(2025, 4, 30)),
        (homes.g3_a.pk, "owner", date(2025, 5, 1), None),
    ]
    logged = Change.objects.filter(record_type="residence", record_id=home.pk).values_list(
        "field", "old_value", "new_value"
    )
    assert list(logged) == [
        ("person", None, str(wang.pk)),
        ("dwelling", None, str(homes.g1_a.pk)),
        ("role", None, "tenant"),
        ("start", None, "2025-02-01"),
        ("end", None, "2025-04-30"),
    ]
    assert new_home.end is None


def test_it_allows_one_open_residence_per_dwelling(world, homes, wang):
    actions.move_in(wang, homes.g1_a, role="family", since=date(2025, 2, 1), by=None, source=MANUAL)
    count = Residence.objects.count(), Change.objects.count()
    with pytest.raises(InvalidTransition) as refused:
        actions.move_in(wang, homes.g1_a, role="owner", since=date(2025, 3, 1), by=None, source=MANUAL)
    assert refused.value.code == "already_resident"
    with pytest.raises(InvalidInput) as refused:
        actions.move_in(wang, homes.g1_b, role="landlord", since=date(2025, 3, 1), by=None, source=MANUAL)
    assert refused.value.code == "invalid_code"
    assert (Residence.objects.count(), Change.objects.count()) == count


def test_it_refuses_to_move_out_twice_or_before_moving_in(world, homes, wang):
    home = actions.move_in(wang, homes.g1_a, role="tenant", since=date(2025, 2, 1), by=None, source=MANUAL)
    with pytest.raises(InvalidInput):
        actions.move_out(home, until=date(2025, 1, 31), by=None, source=MANUAL)
    actions.move_out(home, until=date(2025, 3, 1), by=None, source=MANUAL)
    count = Change.objects.count()
    with pytest.raises(InvalidTransition):
        actions.move_out(home, until=date(2025, 4, 1), by=None, source=MANUAL)
    home.refresh_from_db()
    assert (home.end, Change.objects.count()) == (date(2025, 3, 1), count)


def test_it_tags_and_untags_with_history(world, wang):
    tagging = actions.tag(wang, "elderly_alone", since=date(2025, 1, 1), by=world.grid_worker, source=COLLECTION)
    assert (tagging.tag.sensitivity, tagging.source_kind, tagging.source_ref) == ("L3", "collection", "task-12")
    with pytest.raises(InvalidTransition):
        actions.tag(wang, "elderly_alone", by=world.grid_worker, source=MANUAL)
    with pytest.raises(InvalidInput) as refused:
        actions.tag(wang, "key_place", by=world.grid_worker, source=MANUAL)
    assert refused.value.code == "tag_not_applicable"
    actions.untag(wang, "elderly_alone", until=date(2025, 6, 30), by=world.grid_worker, source=MANUAL)
    assert list(PersonTag.objects.filter(person=wang).values_list("tag__code", "since", "until")) == [
        ("elderly_alone", date(2025, 1, 1), date(2025, 6, 30))
    ]
    again = actions.tag(wang, "elderly_alone", since=date(2025, 9, 1), by=world.grid_worker, source=MANUAL)
    assert again.until is None and PersonTag.objects.filter(person=wang).count() == 2


def _changes(record_type: str, pk: int) -> list[tuple]:
    rows = Change.objects.filter(record_type=record_type, record_id=pk).order_by("field")
    return list(rows.values_list("field", "old_value", "new_value", "source_kind", "source_ref", "actor_id", "at"))


def test_the_bulk_path_writes_the_history_one_by_one_writes_would(world):
    """Imports and the demo write through bulk_writes.bulk_save (COPY / executemany); the history must not differ."""
    batch = Source(SourceKind.IMPORT, "7")
    values = {"name": "赵敏", "id_number": make_id(date(1990, 5, 4), seq=11), "phone": "13500135000"}
    with clock.frozen(at("2025-02-01")):
        one = actions.create_person(by=world.admin, source=batch, **values)
        actions.update_person(one, by=world.admin, source=batch, phone="13500135001", ethnicity="01")
    defaults = {name: Person._meta.get_field(name).get_default() for name in Person.TRACKED}
    other_id = make_id(date(1990, 5, 4), seq=12)
    bulk = Person(**actions._validated_person({**defaults, **values, "id_number": other_id}, pk=None))
    with clock.frozen(at("2025-02-01")):
        bulk_writes.bulk_save_people(new=[bulk], changed=[], by=world.admin, source=batch)
        bulk = Person.objects.get(pk=bulk.pk)
        bulk_writes.bulk_save_people(
            new=[], changed=[(bulk, {"phone": "13500135001", "ethnicity": "01"})], by=world.admin, source=batch
        )
    strip = lambda rows: [r for r in rows if r[0] not in ("id_number", "gender")]  # noqa: E731  the IDs differ
    assert strip(_changes("person", bulk.pk)) == strip(_changes("person", one.pk))
    assert len(_changes("person", bulk.pk)) == 7  # name, gender, phone, id_number, birth_date; then phone, ethnicity
    bulk.refresh_from_db()
    assert (bulk.phone, bulk.name_initials, bulk.id_tail) == ("13500135001", "zm", other_id[-4:])
