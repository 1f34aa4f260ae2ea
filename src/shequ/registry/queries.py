"""Reads of the community base: who lives in an area, a record as it was, where each value came from.

``*_for(user)`` and ``get_*_for(user, pk)`` are the one access point of the base: every page, API call, export and
task reads records through them, so the user's area applies everywhere, and the people and organisations they yield
are masked by the user's clearance (``registry.visibility``). A record outside the area is a ``NotFound``, like a
missing one. A property company's scope is the buildings its unit manages (``Building.managed_by``); a department
data user's is nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from shequ.access.models import Role, User
from shequ.access.scopes import area_prefix, manages_area
from shequ.core import clock, crypto
from shequ.core.errors import NotFound
from shequ.geo.models import Building, Dwelling, Region, RegionLevel

from . import visibility
from .models import Change, Employment, Household, ImportBatch, Organization, Person, Residence, SourceKind, Tag

# Above every character: ``x >= p AND x < p + TOP`` is "x starts with p" as an indexed range. SQLite compiles
# ``startswith`` to ``LIKE ... ESCAPE``, which no index serves; a range is served by a plain B-tree on both backends.
TOP = chr(0x10FFFF)


def prefix_range(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, written as a range an ordinary index can answer."""
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + TOP})


def current_residences() -> QuerySet[Residence]:
    """Residences open today: no end, or an end still to come."""
    today = clock.now().date()
    return Residence.objects.filter(Q(end__isnull=True) | Q(end__gt=today), start__lte=today)


def current_employments() -> QuerySet[Employment]:
    """Employments open today: no end, or an end still to come."""
    today = clock.now().date()
    return Employment.objects.filter(Q(end__isnull=True) | Q(end__gt=today), start__lte=today)


def lives_in(code: str) -> Exists:
    """A person (the outer row) has a current residence in the region, as a correlated EXISTS: a search starts from
    its own indexed predicate and checks the area per candidate instead of listing everyone in the area."""
    residences = current_residences().filter(prefix_range("dwelling__building__grid__code", code))
    return Exists(residences.filter(person_id=OuterRef("pk")))


def residents_of(code: str) -> Q:
    """The same condition as ``pk IN (the region's current residents)``: the ids are read once, through the area's
    buildings and dwellings. Cheaper than ``lives_in`` when the area is small and nothing else narrows the people
    (a grid's or community's list and its count); ruinous for a whole district."""
    residences = current_residences().filter(prefix_range("dwelling__building__grid__code", code))
    return Q(pk__in=residences.values("person_id"))


# A community or a grid (codes of 12 digits or more) has thousands of people, a street or district up to millions.
SMALL_AREA_CODE = 12


def people_in(region: Region | str) -> QuerySet[Person]:
    """People with a current residence in a dwelling whose building sits in the region (code prefix)."""
    code = region.code if isinstance(region, Region) else region
    return Person.objects.current().filter(residents_of(code) if len(code) >= SMALL_AREA_CODE else lives_in(code))


# --- the access point ---------------------------------------------------------------------------


def people_with_id_number(id_number: str) -> QuerySet[Person]:
    """Every person (unscoped, for domain code) holding this ID number: the one exact-match lookup by ID.

    Through the blind index (the number is encrypted at rest), under every loaded index key so that people not yet
    re-indexed after a key change are found too."""
    return people_with_id_numbers([id_number])


def people_with_id_numbers(id_numbers: Iterable[str]) -> QuerySet[Person]:
    """``people_with_id_number`` for many numbers in one query (imports); empty numbers match nobody."""
    from .validators import normalize_id_number

    indexes = [index for n in id_numbers if n for index in crypto.blind_indexes(normalize_id_number(n))]
    return Person.objects.filter(id_index__in=indexes)


def managed_unit(user: User) -> int | None:
    """The unit (property company) whose buildings are the user's whole scope, or None for every other role."""
    if user.is_authenticated and user.role == Role.PROPERTY_COMPANY and not user.sees_everything:
        return user.unit_id or 0  # a property account without a company sees nothing (no building has unit 0)
    return None


def dwellings_for(user: User) -> QuerySet[Dwelling]:
    unit = managed_unit(user)
    if unit is not None:
        return Dwelling.objects.filter(building__managed_by_id=unit)
    prefix = area_prefix(user)
    if prefix is None:
        return Dwelling.objects.none()
    return Dwelling.objects.filter(building__grid__code__startswith=prefix)


def buildings_for(user: User) -> QuerySet[Building]:
    unit = managed_unit(user)
    if unit is not None:
        return Building.objects.filter(managed_by_id=unit)
    prefix = area_prefix(user)
    if prefix is None:
        return Building.objects.none()
    return Building.objects.filter(grid__code__startswith=prefix)


def scoped_people(user: User) -> QuerySet[Person]:
    """The people of the user's scope, NOT masked: for conditions beside an indexed predicate (search), whose
    results go through ``visibility.masked`` before anyone sees them."""
    unit = managed_unit(user)
    if unit is not None:
        residents = current_residences().filter(dwelling__building__managed_by_id=unit)
        return Person.objects.current().filter(pk__in=residents.values("person_id"))
    prefix = area_prefix(user)
    if prefix is None:
        return Person.objects.none()
    if prefix == "":
        return Person.objects.current()
    return people_in(prefix)


def people_for(user: User) -> QuerySet[Person]:
    """People living now in the user's area (masked by the user's clearance). Administrators also see people with
    no known dwelling."""
    return visibility.masked(scoped_people(user), user)


def households_for(user: User) -> QuerySet[Household]:
    unit = managed_unit(user)
    if unit is not None:
        return Household.objects.filter(dwelling__building__managed_by_id=unit)
    prefix = area_prefix(user)
    if prefix is None:
        return Household.objects.none()
    return Household.objects.filter(dwelling__building__grid__code__startswith=prefix)


def _organizations_scope(user: User) -> QuerySet[Organization]:
    unit = managed_unit(user)
    if unit is not None:
        return Organization.objects.filter(premises__building__managed_by_id=unit)
    prefix = area_prefix(user)
    if prefix is None:
        return Organization.objects.none()
    if prefix == "":
        return Organization.objects.all()
    return Organization.objects.filter(premises__building__grid__code__startswith=prefix)


def organizations_for(user: User) -> QuerySet[Organization]:
    """Organisations whose premises are in the user's area (masked). Administrators also see those with no
    premises."""
    return visibility.masked(_organizations_scope(user), user)


def person_of(user: User) -> Person | None:
    """The person a resident's portal account belongs to, if linked."""
    return Person.objects.current().filter(account=user).first() if user.is_authenticated else None


def _get(queryset: QuerySet, pk: Any) -> Any:
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def get_person_for(user: User, pk: Any) -> Person:
    return _get(people_for(user), pk)


def get_person_unmasked_for(user: User, pk: Any) -> Person:
    """The person in clear, scoped like ``get_person_for``: only for writes of fields the user sees in clear and for
    an audited reveal (``visibility.reveal``), never to display."""
    return _get(scoped_people(user), pk)


def get_household_for(user: User, pk: Any) -> Household:
    return _get(households_for(user), pk)


def get_dwelling_for(user: User, pk: Any) -> Dwelling:
    return _get(dwellings_for(user), pk)


def get_building_for(user: User, pk: Any) -> Building:
    return _get(buildings_for(user), pk)


def get_organization_for(user: User, pk: Any) -> Organization:
    return _get(organizations_for(user), pk)


def get_organization_unmasked_for(user: User, pk: Any) -> Organization:
    """The organisation in clear (writes and audited reveals only, like ``get_person_unmasked_for``)."""
    return _get(_organizations_scope(user), pk)


# --- history ---------------------------------------------------------------------------------------


def _history(person: Person) -> QuerySet[Change]:
    return Change.objects.filter(record_type="person", record_id=person.pk).order_by("at", "id")


def _load(name: str, text: str | None) -> Any:
    field = Person._meta.get_field(name)
    if text is None:
        return None if field.null else ""
    return field.to_python(text)  # type: ignore[union-attr]  # tracked names are concrete fields


def person_as_of(person: Person, when: datetime | date) -> dict[str, Any] | None:
    """The person's tracked fields as they were at ``when``, rebuilt from the Change history.

    A date means the end of that day, local time. ``None`` if the record did not exist yet."""
    if not isinstance(when, datetime):
        when = timezone.make_aware(datetime.combine(when, time.max))
    changes = list(_history(person).filter(at__lte=when))
    if not changes:
        return None
    values = {name: _load(name, None) for name in Person.TRACKED}
    for change in changes:
        values[change.field] = _load(change.field, change.new_value)
    return values


def field_sources(person: Person) -> dict[str, Change]:
    """For each field with a value, the Change that set its current value (who, when, from which source)."""
    latest: dict[str, Change] = {}
    for change in _history(person).select_related("actor"):
        latest[change.field] = change
    return {name: change for name, change in latest.items() if change.new_value is not None}


def may_edit_records(user: User) -> bool:
    """Who may change records by hand (pages) or through the API: community staff and above in their area.

    Grid workers confirm and complete data through collection tasks instead."""
    return manages_area(user)


# --- pages: overviews and the links between records -------------------------------------------------


def grids_for(user: User) -> QuerySet[Region]:
    """The grids of the user's area (a grid worker's own grid, a community's grids ...)."""
    prefix = area_prefix(user)
    if prefix is None:
        return Region.objects.none()
    return Region.objects.filter(prefix_range("code", prefix), level=RegionLevel.GRID).order_by("code")


def get_grid_for(user: User, code: str) -> Region:
    return _get_by(grids_for(user), code=code)


def _get_by(queryset: QuerySet, **lookup: Any) -> Any:
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def open_tags(today: date | None = None) -> Q:
    """Tag rows held today (``until`` empty or still to come), relative to the tag row itself."""
    today = today or clock.now().date()
    return Q(since__lte=today) & (Q(until__isnull=True) | Q(until__gt=today))


def with_tag(people: QuerySet[Person], user: User, code: str) -> QuerySet[Person]:
    """People holding the tag today. Refused for a tag above the user's clear level: the list would tell who holds
    a tag the user may not see."""
    from django.utils.translation import gettext as _

    from shequ.core.errors import InvalidInput
    from shequ.core.errors import PermissionDenied as Forbidden

    tag = Tag.objects.filter(code=code, applies_to="person").first()
    if tag is None:
        raise InvalidInput(_("There is no tag %(code)s.") % {"code": code}, code="unknown_tag", field="tag")
    if not visibility.viewer_for(user).tag_clear(tag):
        raise Forbidden(_("You may not filter by a tag you do not see in clear."), code="search_refused", field="tag")
    from .models import PersonTag

    return people.filter(pk__in=PersonTag.objects.filter(open_tags(), tag=tag).values("person_id"))


def person_tags() -> list[Tag]:
    return list(Tag.objects.filter(applies_to="person", active=True).order_by("code"))


def floors_of(building: Building, user: User) -> list[dict[str, Any]]:
    """A building's dwellings floor by floor, top floor first, each with its households and current occupants
    (people and households masked for ``user``)."""
    viewer = visibility.viewer_for(user)
    dwellings = list(building.dwellings.order_by("-floor", "entrance", "room"))
    occupants: dict[int, list[Residence]] = {}
    for residence in (
        current_residences()
        .filter(dwelling__building=building, person__merged_into__isnull=True)
        .select_related("person", "household")
        .order_by(*(("person__name", "person_id") if viewer.clear("person.name") else ("person_id",)))
    ):
        occupants.setdefault(residence.dwelling_id, []).append(residence)
    for rows in occupants.values():
        viewer.residences(rows)
    households: dict[int, list[Household]] = {}
    for household in Household.objects.filter(dwelling__building=building).select_related("head"):
        households.setdefault(household.dwelling_id, []).append(viewer.household(household))
    floors: list[dict[str, Any]] = []
    for dwelling in dwellings:
        if not floors or floors[-1]["floor"] != dwelling.floor:
            floors.append({"floor": dwelling.floor, "dwellings": []})
        floors[-1]["dwellings"].append(
            {
                "dwelling": dwelling,
                "households": households.get(dwelling.pk, []),
                "occupants": occupants.get(dwelling.pk, []),
            }
        )
    return floors


def residences_of_dwelling(dwelling: Dwelling, user: User) -> tuple[list[Residence], list[Residence]]:
    """(current, past) residences of a dwelling; past ones are its history, newest first (people masked)."""
    rows = list(
        dwelling.residences.filter(person__merged_into__isnull=True)
        .select_related("person", "household")
        .order_by("-start", "-id")
    )
    visibility.viewer_for(user).residences(rows)
    current_ids = set(current_residences().filter(dwelling=dwelling).values_list("pk", flat=True))
    return [r for r in rows if r.pk in current_ids], [r for r in rows if r.pk not in current_ids]


def residences_of_person(person: Person, user: User) -> tuple[list[Residence], list[Residence]]:
    """(current, past) residences of a person, with dwelling, building and grid loaded (the household masked, the
    room left out when the dwelling is above the user's clearance)."""
    rows = list(person.residences.select_related("dwelling__building__grid", "household").order_by("-start", "-id"))
    for row in rows:
        row.person = person
    visibility.viewer_for(user).residences(rows)
    current_ids = set(current_residences().filter(person=person).values_list("pk", flat=True))
    return [r for r in rows if r.pk in current_ids], [r for r in rows if r.pk not in current_ids]


# --- where people work ------------------------------------------------------------------------------------


def organizations_in_scope(user: User, ids: Iterable[int]) -> set[int]:
    """Which of these organisations the user may open (the rest are outside the user's area)."""
    return set(_organizations_scope(user).filter(pk__in=list(ids)).values_list("pk", flat=True))


def people_in_scope(user: User, ids: Iterable[int]) -> set[int]:
    """Which of these people the user may open (a person is in the area by a current residence)."""
    return set(scoped_people(user).filter(pk__in=list(ids)).values_list("pk", flat=True))


def employments_of_person(person: Person, user: User) -> tuple[list[Employment], list[Employment]]:
    """(not ended, ended) employments of a person, newest first, as ``Viewer.employments`` shows them to the user:
    an organisation outside the user's area, or above their clearance, is masked and not linked. Not ended includes
    an employment that starts later. Nothing for a user the dictionary hides employment from (property companies)."""
    viewer = visibility.viewer_for(user)
    if viewer.hidden("employment.organization"):
        return [], []
    rows = list(person.employments.select_related("organization").order_by("-start", "-id"))
    for row in rows:
        row.person = person
    viewer.employments(rows, organizations_in_scope(user, {r.organization_id for r in rows}))
    today = clock.now().date()
    ended = {r.pk for r in rows if r.end is not None and r.end <= today}
    return [r for r in rows if r.pk not in ended], [r for r in rows if r.pk in ended]


def employees_of(organization: Organization, user: User) -> QuerySet[Employment]:
    """The organisation's current employments (who works there now), each yielded as ``Viewer.employments`` shows it
    (the person masked by the user's clearance), in name order only when names are clear to the user. The people
    need not live in the user's area: working here is what brings them in. ``organization`` comes from the access
    point, so it is in the user's scope."""
    viewer = visibility.viewer_for(user)
    if viewer.hidden("employment.organization"):
        return Employment.objects.none()
    order = ("person__name", "person_id") if viewer.clear("person.name") else ("person_id",)
    rows = (
        current_employments()
        .filter(organization=organization, person__merged_into__isnull=True)
        .select_related("person", "organization")
        .order_by(*order, "id")
    )
    return visibility.masked_employments(rows, user, {organization.pk})


def get_employment_unmasked_for(user: User, pk: Any) -> Employment:
    """An employment whose person and organisation are both in the user's scope, in clear: for writes only."""
    found = Employment.objects.filter(
        person__in=scoped_people(user), organization__in=_organizations_scope(user)
    ).select_related("person", "organization")
    return _get(found, pk)


def household_members(household: Household, user: User) -> list[Residence]:
    """The household's current members (their residences, people masked for ``user``), head first."""
    viewer = visibility.viewer_for(user)
    found = current_residences().filter(household=household, person__merged_into__isnull=True)
    # sorted by name only when the user sees names in clear: an order is an oracle on what the mask hides
    order = ("person__name", "person_id") if viewer.clear("person.name") else ("person_id",)
    rows = viewer.residences(found.select_related("person").order_by(*order))
    return sorted(rows, key=lambda r: r.person_id != household.head_id)


def history(record_type: str, record_id: int) -> QuerySet[Change]:
    """A record's Change rows, newest first, with who made them."""
    return (
        Change.objects.filter(record_type=record_type, record_id=record_id)
        .select_related("actor")
        .order_by("-at", "-id")
    )


def import_batches(changes: list[Change]) -> dict[str, ImportBatch]:
    """The import batches named by these changes' sources, by source reference (the batch id)."""
    refs = {c.source_ref for c in changes if c.source_kind == SourceKind.IMPORT and c.source_ref.isdigit()}
    batches = ImportBatch.objects.filter(pk__in=[int(r) for r in refs]).select_related("source")
    return {str(b.pk): b for b in batches}
