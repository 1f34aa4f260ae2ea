"""The demo's people: valid identities, consistent households and residences, a plausible population, history."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, Q
from stdnum import numdb

from shequ.demo.history import DEMO_SOURCE
from shequ.demo.identifiers import HOMETOWNS, SHENZHEN_CODES
from shequ.demo.residents import age_on
from shequ.geo.models import Dwelling
from shequ.registry.dictionary import CodeItem
from shequ.registry.models import Change, Household, Person, PersonTag, Residence
from shequ.registry.validators import birth_and_gender_from_id, check_id_number, check_phone

from ..conftest import NOW

TODAY = NOW.date()


def codes(table: str) -> set[str]:
    return set(CodeItem.objects.filter(table__code=table).values_list("code", flat=True))


def current_people():
    return Person.objects.filter(residences__end__isnull=True).distinct()


def test_it_settles_about_three_people_per_home_and_reports_what_it_made(demo_db):
    summary = demo_db.people
    homes = Dwelling.objects.filter(use=Dwelling.Use.HOME).count()
    assert summary.people == Person.objects.count()
    assert summary.households == Household.objects.count()
    assert summary.residences == Residence.objects.count()
    assert summary.current == current_people().count()
    assert 2.5 * homes < summary.people < 3.6 * homes
    assert summary.registered + summary.floating + summary.foreign == summary.current
    assert summary.moved_out == Residence.objects.filter(end__isnull=False).count() > 0


def test_every_id_number_is_valid_and_agrees_with_birth_date_and_gender(demo_db):
    with_id = Person.objects.filter(id_number__isnull=False)
    assert with_id.count() > 0.99 * Person.objects.count() - 50
    for number, born, gender in with_id.values_list("id_number", "birth_date", "gender"):
        assert check_id_number(number) == number
        assert birth_and_gender_from_id(number) == (born, gender)


def test_id_numbers_come_from_shenzhen_for_young_registered_people_and_from_hometowns_for_the_floating(demo_db):
    shenzhen = {code for code, _w in SHENZHEN_CODES}
    hometowns = {code for code, _n, _w in HOMETOWNS}
    for number, born, residency in Person.objects.filter(id_number__isnull=False).values_list(
        "id_number", "birth_date", "residency"
    ):
        if residency == "floating":
            assert number[:6] in hometowns
        elif born.year >= 1985:
            assert number[:6] in shenzhen
        else:
            assert number[:6] in shenzhen | hometowns


def test_hometown_and_shenzhen_codes_are_real_county_codes():
    places = numdb.get("cn/loc")
    for code, name, _weight in HOMETOWNS:
        found = {k: v for _part, props in places.info(code) for k, v in props.items()}
        assert name.startswith(found["province"])
        assert name.endswith(found["county"].split("]")[-1])
    for code, _weight in SHENZHEN_CODES:
        found = {k: v for _part, props in places.info(code) for k, v in props.items()}
        assert found["province"] == "广东省" and "county" in found


def test_foreigners_and_hong_kong_residents_have_no_id_number_but_a_document_note(demo_db):
    foreign = Person.objects.filter(residency="foreign")
    assert foreign.exists()
    assert set(Person.objects.filter(id_number__isnull=True).values_list("residency", flat=True)) == {"foreign"}
    for person in foreign:
        assert person.id_number is None and person.birth_date and person.gender in ("1", "2")
        assert "护照号码" in person.note or "通行证" in person.note


def test_names_phones_and_codes_are_valid(demo_db):
    ethnicities, residencies, genders = codes("ethnicity"), codes("residency"), codes("gender")
    phones = Counter()
    for p in Person.objects.all():
        assert p.name and len(p.name) <= 50
        assert p.gender in genders and p.residency in residencies
        assert p.ethnicity in ethnicities or (p.residency == "foreign" and p.ethnicity == "")
        if p.phone:
            assert check_phone(p.phone) == p.phone
            phones[p.phone] += 1
        if age_on(p.birth_date, TODAY) < 14:
            assert p.phone == ""
        assert p.hukou_address or p.residency == "foreign"
        assert p.name_initials  # the search keys are filled
    assert max(phones.values()) == 1
    han = Person.objects.filter(ethnicity="01").count() / Person.objects.exclude(ethnicity="").count()
    assert 0.88 < han < 0.99


def test_households_and_residences_are_consistent(demo_db):
    assert not Residence.objects.filter(end__isnull=True).values("person").annotate(n=Count("id")).filter(n__gt=1)
    roles = codes("residence_role")
    for r in Residence.objects.select_related("person", "household"):
        assert r.role in roles
        assert r.start >= r.person.birth_date
        assert r.end is None or r.start <= r.end <= TODAY
        if r.household:
            assert r.household.dwelling_id == r.dwelling_id
    assert Dwelling.objects.filter(residences__isnull=False).exclude(use=Dwelling.Use.HOME).count() == 0
    for household in Household.objects.annotate(n=Count("residences")):
        assert household.n >= 1
        assert household.residences.filter(person_id=household.head_id).exists()
    open_households = Household.objects.filter(residences__end__isnull=True).distinct().count()
    assert 2.2 < current_people().count() / open_households < 2.9
    # Owners are mostly registered, tenants mostly floating.
    owners = Residence.objects.filter(role="owner", end__isnull=True)
    tenants = Residence.objects.filter(role="tenant", end__isnull=True)
    assert owners.filter(person__residency="registered").count() > 0.6 * owners.count()
    assert tenants.filter(person__residency="floating").count() > 0.6 * tenants.count()


def test_some_people_moved_out_and_some_moved_within_the_district(demo_db):
    left = Person.objects.filter(residences__isnull=False).exclude(residences__end__isnull=True)
    assert left.exists()  # only closed residences: they left the district
    moved = Person.objects.filter(residences__end__isnull=True).filter(residences__end__isnull=False)
    assert moved.exists()


def test_the_age_pyramid_and_the_floating_share_are_plausible(demo_db):
    ages = [age_on(b, TODAY) for b in current_people().values_list("birth_date", flat=True)]
    n = len(ages)
    assert 0.06 < sum(a >= 60 for a in ages) / n < 0.16
    assert 0.005 < sum(a >= 80 for a in ages) / n < 0.03
    assert 0.12 < sum(a < 18 for a in ages) / n < 0.28
    assert 0.4 < sum(18 <= a < 45 for a in ages) / n < 0.7
    residency = Counter(current_people().values_list("residency", flat=True))
    assert 0.5 < residency["floating"] / n < 0.7
    assert 0.001 < residency["foreign"] / n < 0.02


def test_tags_go_to_the_right_people_at_plausible_rates(demo_db):
    people = current_people().count()
    counts = Counter(PersonTag.objects.values_list("tag__code", flat=True))
    assert {"elderly_alone", "empty_nest", "disabled", "veteran"} <= set(counts)
    assert counts["disabled"] < 0.04 * people and counts["low_income"] < 0.02 * people
    assert counts["community_correction"] + counts["drug_rehab"] < 0.005 * people
    for tagging in PersonTag.objects.filter(tag__code="elderly_alone").select_related("person"):
        assert age_on(tagging.person.birth_date, TODAY) >= 60
        household = tagging.person.residences.get(end__isnull=True).household
        assert household.residences.filter(end__isnull=True).count() == 1
    for tagging in PersonTag.objects.select_related("person"):
        assert tagging.person.birth_date <= tagging.since <= TODAY
        assert (tagging.source_kind, tagging.source_ref) == (DEMO_SOURCE.kind, DEMO_SOURCE.ref)
    veterans = PersonTag.objects.filter(tag__code="veteran")
    assert not veterans.filter(Q(person__gender="2") | Q(person__residency="foreign")).exists()


def test_every_record_has_its_history_from_the_demo_source(demo_db):
    demo = Change.objects.filter(source_kind="import", source_ref="demo", actor__isnull=True)
    assert demo.count() == Change.objects.count()
    assert not demo.filter(old_value__isnull=False).exists()  # everything was created, nothing changed
    expected = sum(1 for p in Person.objects.all() for name in Person.TRACKED if getattr(p, name) not in (None, ""))
    assert demo.filter(record_type="person").count() == expected
    person = Person.objects.filter(id_number__isnull=False).first()
    # Instances: the ID number's Change values are decrypted when rows are loaded (values_list gives the tokens).
    assert {c.field: c.new_value for c in demo.filter(record_type="person", record_id=person.pk)} == {
        name: str(getattr(person, name)) for name in Person.TRACKED if getattr(person, name) not in (None, "")
    }
    residences = Residence.objects.count()
    closed = Residence.objects.filter(end__isnull=False).count()
    with_household = Residence.objects.filter(household__isnull=False).count()
    assert demo.filter(record_type="residence").count() == 4 * residences + with_household + closed
    assert demo.filter(record_type="household", field="head").count() == Household.objects.count()


def test_the_resident_accounts_belong_to_people_living_in_the_first_grid_workers_grid(demo_db):
    from shequ.access.models import Role, User
    from shequ.registry.queries import people_in, person_of

    worker = User.objects.get(username="wanggeyuan")
    residents = User.objects.filter(role=Role.RESIDENT, username__startswith="jumin")
    assert residents.exists()
    for account in residents:
        person = person_of(account)
        assert person is not None and people_in(worker.region).filter(pk=person.pk).exists()
    # community life gives its volunteers and voters accounts of their own (zhiyuan…), each a person of the base
    others = User.objects.filter(role=Role.RESIDENT).exclude(username__startswith="jumin")
    assert others.exists() and all(person_of(account) is not None for account in others)
