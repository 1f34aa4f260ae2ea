"""The demo's organisations: valid credit codes, real premises, types from the code table, tags, history."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count

from shequ.demo.identifiers import organisation_code_check
from shequ.geo.models import Dwelling
from shequ.registry.dictionary import CodeItem
from shequ.registry.models import Change, Organization, OrganizationTag
from shequ.registry.validators import check_credit_code, check_phone


def test_it_registers_organisations_in_about_six_in_ten_shops_and_offices(demo_db):
    summary = demo_db.organizations
    premises = Dwelling.objects.filter(use__in=[Dwelling.Use.SHOP, Dwelling.Use.OFFICE]).count()
    assert summary.organizations == Organization.objects.count()
    assert 0.4 * premises < summary.organizations < 0.85 * premises
    assert summary.by_type == dict(Counter(Organization.objects.values_list("type", flat=True)))


def test_every_credit_code_is_valid_with_a_valid_organisation_code_inside(demo_db):
    codes = list(Organization.objects.values_list("credit_code", "type"))
    assert len({c for c, _t in codes}) == len(codes)
    for code, org_type in codes:
        assert check_credit_code(code) == code
        assert organisation_code_check(code[8:16]) == code[16]
        assert code[:2] == {"individual": "92", "school": "12", "government": "11", "ngo": "52"}.get(org_type, "91")


def test_the_organisation_code_check_matches_real_codes():
    for real in ("91330100799655058B", "91110000600037341L", "91440300708461136T"):
        assert organisation_code_check(real[8:16]) == real[16]


def test_types_premises_contacts_and_representatives_are_filled(demo_db):
    types = set(CodeItem.objects.filter(table__code="organization_type").values_list("code", flat=True))
    used = set(Organization.objects.values_list("type", flat=True))
    assert used <= types and {"individual", "enterprise", "property", "government"} <= used
    assert not Organization.objects.values("premises").annotate(n=Count("id")).filter(n__gt=1).exists()
    for org in Organization.objects.select_related("premises__building"):
        dwelling = org.premises
        assert dwelling.use in (Dwelling.Use.SHOP, Dwelling.Use.OFFICE) or dwelling.floor == 1
        assert org.address.startswith("深圳市福田区" + dwelling.building.address)
        assert org.address.endswith(dwelling.room)
        assert org.legal_representative and org.contact_name
        assert check_phone(org.contact_phone, field="contact_phone") == org.contact_phone
    individuals = Organization.objects.filter(type="individual")
    assert individuals.exists() and all(o.contact_name == o.legal_representative for o in individuals)


def test_organisation_tags_follow_the_kind_of_business(demo_db):
    tags = OrganizationTag.objects.select_related("organization", "tag")
    assert {t.tag.code for t in tags} >= {"crowded_place", "key_place"}
    assert all(t.tag.applies_to == "organization" for t in tags)
    for tagging in tags.filter(tag__code="hazardous_chemicals"):
        assert "液化气" in tagging.organization.name or "油漆" in tagging.organization.name
    for school in Organization.objects.filter(type="school"):
        assert school.tags.filter(tag__code="crowded_place").exists()


def test_every_organisation_has_its_history(demo_db):
    for org in Organization.objects.all()[:50]:
        logged = dict(
            Change.objects.filter(record_type="organization", record_id=org.pk).values_list("field", "new_value")
        )
        assert logged["credit_code"] == org.credit_code and logged["premises"] == str(org.premises_id)
        assert logged["name"] == org.name and "note" not in logged
    assert Change.objects.filter(record_type="organization_tag").count() == 3 * OrganizationTag.objects.count()
