"""The demo's workplaces: about a fifth of the organisations have 1-5 staff who live in another grid, working age,
with the history the actions would keep; a few former staff have left."""

from __future__ import annotations

from collections import Counter

from shequ.demo.residents import add_years
from shequ.registry.models import Change, Employment, Organization, Residence

from ..conftest import NOW


def test_a_fifth_of_the_organisations_have_staff_from_other_grids(demo_db):
    today = NOW.date()
    current = Employment.objects.filter(end__isnull=True).select_related(
        "person", "organization__premises__building__grid"
    )
    per_org = Counter(e.organization_id for e in current)
    organizations = Organization.objects.count()
    assert 0.1 * organizations < len(per_org) < 0.3 * organizations
    assert set(per_org.values()) <= {1, 2, 3, 4, 5} and max(per_org.values()) > 1
    assert demo_db.organizations.employments == len(current)
    homes: dict[int, set[str]] = {}
    for person_id, grid in Residence.objects.filter(end__isnull=True).values_list(
        "person_id", "dwelling__building__grid__code"
    ):
        homes.setdefault(person_id, set()).add(grid)
    for e in current:
        # they live elsewhere: their only way into the organisation's grid is their work
        assert e.organization.premises.building.grid.code not in homes[e.person_id]
        assert e.start <= today and add_years(e.person.birth_date, 18) <= e.start
        assert add_years(today, -60) <= e.person.birth_date
    assert sum(1 for e in current if e.position) > 0.7 * len(current)


def test_former_staff_have_left_and_every_employment_has_its_history(demo_db):
    today = NOW.date()
    ended = list(Employment.objects.filter(end__isnull=False))
    assert ended and all(e.start <= e.end < today for e in ended)
    for e in Employment.objects.all():
        logged = dict(Change.objects.filter(record_type="employment", record_id=e.pk).values_list("field", "new_value"))
        expected = {"person": str(e.person_id), "organization": str(e.organization_id), "start": e.start.isoformat()}
        if e.position:
            expected["position"] = e.position
        if e.end:
            expected["end"] = e.end.isoformat()
        assert logged == expected
