"""The community base over the API: people (list with search, get, create, patch), where they work (open and end
an employment), households, dwellings, buildings, organisations and the grid overview.

Every read goes through ``registry.queries`` (scoped to the token's user: out of area is a 404, like missing; people
and organisations masked by the acting grant's clearance, with ``masked`` and ``hidden`` naming the fields) and
``registry.search`` (refusing searches on what is not clear); a masked value is shown in clear only through
``POST /people/{id}/reveal`` with a purpose (audited); writes go through ``registry.actions`` with the source
"API client" and the token's name, so each change's provenance names the system that sent it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from shequ.access.models import User
from shequ.access.scopes import area_prefix
from shequ.core.errors import InvalidInput, PermissionDenied
from shequ.geo.models import Building, Dwelling

from . import actions, overview, queries, search, visibility
from .models import Employment, Household, Organization, OrganizationTag, Person, PersonTag, Residence, SourceKind
from .schemas import (
    MAX_ID,
    BuildingOut,
    DwellingOut,
    EmploymentEndIn,
    EmploymentIn,
    EmploymentOut,
    GridOverview,
    HouseholdOut,
    ListQuery,
    OrganizationDetail,
    OrganizationPage,
    PersonDetail,
    PersonIn,
    PersonPage,
    PersonPatch,
    RevealIn,
    RevealOut,
)

router = Router(tags=["registry"])
# Lists count at most this many rows (an exact count of a district's million people costs seconds).
COUNT_CAP = 1000


def capped_count(qs: Any) -> int:
    """The number of rows up to COUNT_CAP + 1 (more means "more than COUNT_CAP")."""
    return qs[: COUNT_CAP + 1].count()


PK = Path(..., ge=1, le=MAX_ID)


def _source(request: HttpRequest) -> actions.Source:
    """API client as the source; the reference is the token's name (a browser session says so instead)."""
    token = getattr(request, "api_token", None)
    return actions.Source(SourceKind.API, token.name[:100] if token is not None else "session")


def _check_may_write(user: User) -> None:
    if not queries.may_edit_records(user):
        raise PermissionDenied(_("Only community staff and above may change records."), code="forbidden")


# --- rendering ----------------------------------------------------------------------------------


def _grid(region: Any) -> dict:
    return {"code": region.code, "name": region.name}


def _building_ref(building: Building) -> dict:
    return {"id": building.pk, "name": building.name, "address": building.address, "grid": _grid(building.grid)}


def _dwelling_ref(dwelling: Dwelling, *, masked: bool = False) -> dict:
    if masked:  # the address to the building only (residence.dwelling above the user's clearance)
        address = dwelling.building.address + visibility.masking.MASKED
        return {"id": None, "address": address, "floor": None, "room": visibility.masking.MASKED}
    return {"id": dwelling.pk, "address": str(dwelling), "floor": dwelling.floor, "room": dwelling.room}


def _household_ref(household: Household | None) -> dict | None:
    return {"id": household.pk, "number": household.number} if household is not None else None


def _residence(r: Residence) -> dict:
    return {
        "person": {"id": r.person_id, "name": r.person.name},
        "dwelling": _dwelling_ref(r.dwelling, masked=getattr(r, "dwelling_masked", False)),
        "household": _household_ref(r.household),
        "role": r.role,
        "start": r.start,
        "end": r.end,
    }


def _employment(e: Employment) -> dict:
    """An employment as ``Viewer.employments`` left it (masked organisation: no id, name ***)."""
    return {
        "id": e.pk,
        "person": {"id": e.person_id, "name": e.person.name},
        "organization": {"id": None if e.organization_masked else e.organization_id, "name": e.organization_name},
        "position": e.shown_position,
        "start": e.shown_start if e.shown_start is not None else visibility.masking.MASKED_DATE,
        "end": e.shown_end,
    }


def _shown_employment(user: User, pk: int) -> dict:
    """One employment just written, read back as the user sees it."""
    row = Employment.objects.select_related("person", "organization").get(pk=pk)
    visibility.viewer_for(user).employments([row], queries.organizations_in_scope(user, [row.organization_id]))
    return _employment(row)


def _tags(rows: Any) -> list[dict]:
    return [
        {"code": t.tag.code, "name": t.tag.name, "sensitivity": t.tag.sensitivity, "since": t.since, "until": t.until}
        for t in rows
    ]


def _person_row(p: Person) -> dict:
    """A masked person (from the access point): hidden fields are null and named in ``hidden``."""
    hidden = getattr(p, "hidden_fields", frozenset())
    values = {name: (None if name in hidden else getattr(p, name)) for name in Person.TRACKED}
    return {
        "id": p.pk,
        **values,
        "updated_at": p.updated_at,
        "masked": sorted(getattr(p, "masked_fields", ())),
        "hidden": sorted(hidden),
    }


RESIDENCE_RELATED = ("person", "dwelling__building", "household")


def _person_detail(person: Person, user: User) -> dict:
    current, past = queries.residences_of_person(person, user)
    working, worked = queries.employments_of_person(person, user)
    today = queries.clock.now().date()
    tags = PersonTag.objects.filter(queries.open_tags(today), person=person).select_related("tag").order_by("since")
    return {
        **_person_row(person),
        "tags": _tags(visibility.viewer_for(user).clear_tag_rows(tags)),
        "residences": [_residence(r) for r in current],
        "past_residences": [_residence(r) for r in past],
        "workplaces": [_employment(e) for e in working],
        "past_workplaces": [_employment(e) for e in worked],
    }


def _organization_row(o: Organization) -> dict:
    hidden = getattr(o, "hidden_fields", frozenset())
    return {
        "id": o.pk,
        **{name: (None if name in hidden else getattr(o, name)) for name in Organization.TRACKED if name != "premises"},
        "premises": _dwelling_ref(o.premises) if o.premises is not None else None,
        "updated_at": o.updated_at,
        "masked": sorted(getattr(o, "masked_fields", ())),
        "hidden": sorted(hidden),
    }


def _order(user: User, record_type: str) -> tuple[str, ...]:
    """By name only when names are clear to the user: the order of masked values would tell what they hide."""
    return ("name", "id") if visibility.viewer_for(user).clear(f"{record_type}.name") else ("id",)


# --- people -------------------------------------------------------------------------------------


def _page(qs: Any, filters: ListQuery, row: Callable[[Any], dict]) -> dict:
    """One page of a list, with its count capped (counting a whole district's people is not worth a request)."""
    start = (filters.page - 1) * filters.page_size
    count = capped_count(qs)
    return {
        "count": min(count, COUNT_CAP),
        "more": count > COUNT_CAP,
        "page": filters.page,
        "page_size": filters.page_size,
        "items": [row(r) for r in qs[start : start + filters.page_size]],
    }


@router.get("/people", response=PersonPage, summary="People in your area, or a search among them")
def list_people(request: HttpRequest, filters: Query[ListQuery]) -> dict:
    parsed = search.classify(filters.q)
    if filters.q.strip():
        qs = search.people_matching(request.user, parsed)
    else:
        qs = queries.people_for(request.user).order_by(*_order(request.user, "person"))
    if filters.tag:
        qs = queries.with_tag(qs, request.user, filters.tag)
    return {**_page(qs, filters, _person_row), "kind": parsed.kind.value}


@router.get("/people/{id}", response=PersonDetail, summary="One person with tags and residences")
def get_person(request: HttpRequest, id: int = PK) -> dict:
    return _person_detail(queries.get_person_for(request.user, id), request.user)


@router.post(
    "/people/{id}/reveal",
    response=RevealOut,
    summary="Show masked fields of one person in clear, with a purpose (recorded in the audit trail)",
)
def reveal_person(request: HttpRequest, payload: RevealIn, id: int = PK) -> dict:
    shown = visibility.reveal_person(request.user, id, payload.fields, payload.purpose)
    tags = shown["tags"] if visibility.TAGS in payload.fields else None
    return {"id": id, "values": shown["values"], "tags": _tags(tags) if tags is not None else None}


@router.post("/people", response={201: PersonDetail}, summary="Create a person (and where they live)")
def create_person(request: HttpRequest, payload: PersonIn) -> tuple[int, dict]:
    user = request.user
    _check_may_write(user)
    if payload.residence is None and area_prefix(user) != "":
        raise InvalidInput(
            _("Say where the person lives: a record outside your area would be invisible to you."),
            code="residence_required",
            field="residence",
        )
    fields = payload.dict(exclude={"residence", "workplace"}, exclude_none=True)
    source = _source(request)
    with transaction.atomic():
        person = actions.create_person(by=user, source=source, **fields)
        if payload.residence is not None:
            where = payload.residence
            dwelling = queries.get_dwelling_for(user, where.dwelling)
            household = queries.get_household_for(user, where.household) if where.household else None
            actions.move_in(
                person,
                dwelling,
                role=where.role,
                since=where.since or queries.clock.now().date(),
                household=household,
                by=user,
                source=source,
            )
        if payload.workplace is not None:
            _employ(user, person, payload.workplace, source)
    return Status(201, _person_detail(queries.get_person_for(user, person.pk), user))


def _employ(user: User, person: Person, work: EmploymentIn, source: actions.Source) -> Employment:
    """Open an employment at an organisation of the user's area (outside it: 404, as a missing one)."""
    organization = queries.get_organization_unmasked_for(user, work.organization)
    since = work.since or queries.clock.now().date()
    return actions.employ(person, organization, since=since, position=work.position, by=user, source=source)


@router.post(
    "/people/{id}/employments",
    response={201: EmploymentOut},
    summary="Say where a person works: open an employment at an organisation of your area",
)
def add_employment(request: HttpRequest, payload: EmploymentIn, id: int = PK) -> tuple[int, dict]:
    user = request.user
    person = queries.get_person_unmasked_for(user, id)
    _check_may_write(user)
    employment = _employ(user, person, payload, _source(request))
    return Status(201, _shown_employment(user, employment.pk))


@router.post(
    "/employments/{id}/end",
    response=EmploymentOut,
    summary="End an employment on `until` (default today): the person left the organisation",
)
def end_employment(request: HttpRequest, payload: EmploymentEndIn, id: int = PK) -> dict:
    user = request.user
    employment = queries.get_employment_unmasked_for(user, id)
    _check_may_write(user)
    ended = actions.leave_employment(employment, until=payload.until, by=user, source=_source(request))
    return _shown_employment(user, ended.pk)


# Text fields that are empty rather than null when cleared.
_TEXT = {"gender", "phone", "ethnicity", "residency", "hukou_address", "note", "name"}


@router.patch("/people/{id}", response=PersonDetail, summary="Change some fields of a person")
def patch_person(request: HttpRequest, payload: PersonPatch, id: int = PK) -> dict:
    user = request.user
    person = queries.get_person_unmasked_for(user, id)
    _check_may_write(user)
    fields = payload.dict(exclude_unset=True)
    unclear = [k for k in fields if not visibility.viewer_for(user).clear(f"person.{k}")]
    if unclear:  # a field one does not see in clear is not one to overwrite blind
        raise PermissionDenied(
            _("You may change only fields you see in clear."), code="field_not_clear", field=unclear[0]
        )
    fields = {k: ("" if v is None and k in _TEXT else v) for k, v in fields.items()}
    actions.update_person(person, by=user, source=_source(request), **fields)
    return _person_detail(queries.get_person_for(user, id), user)


# --- places -------------------------------------------------------------------------------------


@router.get("/households/{id}", response=HouseholdOut, summary="A household and its current members")
def get_household(request: HttpRequest, id: int = PK) -> dict:
    household = queries.get_household_for(request.user, id)
    members = queries.household_members(household, request.user)
    visibility.viewer_for(request.user).household(household)
    for r in members:
        r.dwelling = household.dwelling
        r.household = household
    head = household.head
    return {
        "id": household.pk,
        "number": household.number,
        "head": {"id": head.pk, "name": head.name} if head is not None else None,
        "dwelling": _dwelling_ref(household.dwelling),
        "members": [_residence(r) for r in members],
    }


@router.get("/dwellings/{id}", response=DwellingOut, summary="A dwelling: who lives here now, who did, what is here")
def get_dwelling(request: HttpRequest, id: int = PK) -> dict:
    user = request.user
    dwelling = queries.get_dwelling_for(user, id)
    current, past = queries.residences_of_dwelling(dwelling, user)
    for r in (*current, *past):
        r.dwelling = dwelling
    organizations = queries.organizations_for(user).filter(premises=dwelling).select_related("premises__building")
    return {
        **_dwelling_ref(dwelling),
        "building": _building_ref(dwelling.building),
        "entrance": dwelling.entrance,
        "use": dwelling.use,
        "residents": [_residence(r) for r in current],
        "past_residents": [_residence(r) for r in past],
        "households": [
            _household_ref(visibility.viewer_for(user).household(h))
            for h in dwelling.households.order_by("number", "id")
        ],
        "organizations": [_organization_row(o) for o in organizations],
    }


@router.get("/buildings/{id}", response=BuildingOut, summary="A building's households floor by floor, top first")
def get_building(request: HttpRequest, id: int = PK) -> dict:
    building = queries.get_building_for(request.user, id)
    return {
        **_building_ref(building),
        "lon": building.lon,
        "lat": building.lat,
        "floors": [
            {
                "floor": f["floor"],
                "dwellings": [
                    {
                        "id": d["dwelling"].pk,
                        "entrance": d["dwelling"].entrance,
                        "room": d["dwelling"].room,
                        "use": d["dwelling"].use,
                        "households": [_household_ref(h) for h in d["households"]],
                        "occupants": [{"id": r.person_id, "name": r.person.name} for r in d["occupants"]],
                    }
                    for d in f["dwellings"]
                ],
            }
            for f in queries.floors_of(building, request.user)
        ],
    }


# --- organisations ------------------------------------------------------------------------------


@router.get("/organizations", response=OrganizationPage, summary="Organisations in your area, or a search")
def list_organizations(request: HttpRequest, filters: Query[ListQuery]) -> dict:
    if filters.q.strip():
        qs = search.organizations_matching(request.user, search.classify(filters.q))
    else:
        qs = queries.organizations_for(request.user).order_by(*_order(request.user, "organization"))
    qs = qs.select_related("premises__building")
    return _page(qs, filters, _organization_row)


@router.get("/organizations/{id}", response=OrganizationDetail, summary="One organisation with its tags")
def get_organization(request: HttpRequest, id: int = PK) -> dict:
    org = queries.get_organization_for(request.user, id)
    tags = OrganizationTag.objects.filter(queries.open_tags(), organization=org).select_related("tag")
    rows = visibility.viewer_for(request.user).clear_tag_rows(tags.order_by("since"), "organization")
    return {**_organization_row(org), "tags": _tags(rows)}


# --- the overview -------------------------------------------------------------------------------


@router.get("/grids", response=list[GridOverview], summary="Counts per grid of your area")
def grid_overview(request: HttpRequest) -> list[dict]:
    grids, counts = overview.area_overview(request.user)
    viewer = visibility.viewer_for(request.user)
    shown = {t.code for t in queries.person_tags() if viewer.tag_clear(t)}  # no counts of tags one may not see
    return [
        {
            "code": g.code,
            "name": g.name,
            **counts[g.code],
            "tags": {c: n for c, n in counts[g.code]["tags"].items() if c in shown},
        }
        for g in grids
    ]
