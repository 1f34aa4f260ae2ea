"""The seeded data dictionary, code tables and tag catalog."""

from __future__ import annotations

from django.apps import apps

from shequ.registry.models import CodeItem, CodeTable, Field, Organization, Person, Tag
from shequ.registry.seed import seed


def test_it_defines_every_tracked_field_once(db):
    names = set(Field.objects.values_list("name", flat=True))
    assert {f"person.{n}" for n in Person.TRACKED} <= names
    assert {f"organization.{n}" for n in Organization.TRACKED} <= names


def test_it_grades_identity_fields_by_sensitivity(db):
    levels = dict(Field.objects.values_list("name", "sensitivity"))
    assert (levels["person.id_number"], levels["person.name"], levels["person.phone"]) == ("L4", "L3", "L3")
    assert (levels["person.birth_date"], levels["person.ethnicity"], levels["person.residency"]) == ("L3", "L2", "L2")


def test_it_seeds_the_national_code_tables(db):
    ethnicity = CodeItem.objects.filter(table__code="ethnicity")
    assert ethnicity.count() == 58
    assert list(ethnicity.filter(code__in=["01", "56", "97", "98"]).values_list("code", "label")) == [
        ("01", "汉族"),
        ("56", "基诺族"),
        ("97", "其他"),
        ("98", "外国血统中国籍人士"),
    ]
    gender = CodeItem.objects.filter(table__code="gender").values_list("code", flat=True)
    assert list(gender) == ["0", "1", "2", "9"]
    assert Field.objects.get(name="person.ethnicity").code_table.code == "ethnicity"


def test_it_marks_the_most_sensitive_tags_l4(db):
    assert set(Tag.objects.filter(sensitivity="L4").values_list("code", flat=True)) >= {
        "community_correction",
        "severe_mental_disorder",
    }
    assert Tag.objects.get(code="key_place").applies_to == "organization"


def test_it_seeds_idempotently(db):
    counts = CodeTable.objects.count(), CodeItem.objects.count(), Field.objects.count(), Tag.objects.count()
    seed(apps)
    assert (CodeTable.objects.count(), CodeItem.objects.count(), Field.objects.count(), Tag.objects.count()) == counts
