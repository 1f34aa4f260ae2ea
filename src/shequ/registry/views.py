"""The community base's staff pages that read: the area overview, grid, building, dwelling, household, person and
organisation pages linked to each other, and the people and organisation lists with search. The pages that write
(the manual edit of a person, workplaces, reveal) are ``edit_views.py``; what a record shows, ``display.py``.

Views parse the request, read through ``registry.queries`` (every read scoped to the user: out of area is a 404;
people and organisations come masked by the user's clearance, ``registry.visibility``) and ``registry.search``.
Values read from elsewhere (history, a record as of a date, related people) are shown through the same ``Viewer``.
Pages work without JavaScript; htmx only swaps the search results and revealed values in place.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shequ.access.decorators import records_required, staff_required
from shequ.access.models import User
from shequ.core.errors import DomainError

from . import overview, queries, search, visibility
from .dictionary import CodeItem
from .display import field_rows, history_rows, or_404, split_tags, with_roles
from .models import Organization, OrganizationTag, Person, PersonTag, SourceKind

PAGE_SIZE = 25


class CappedPaginator(Paginator):
    """Counts at most ``CAP`` rows: an exact count of a district's million people costs seconds, and nobody pages
    past a thousand rows; they narrow the search instead."""

    CAP = 1000
    capped = False

    @cached_property
    def count(self) -> int:
        n = self.object_list[: self.CAP + 1].count()
        self.capped = n > self.CAP
        return min(n, self.CAP)


def can_edit(user: User) -> bool:
    return queries.may_edit_records(user)


# --- overview pages -------------------------------------------------------------------------------


def _residency_labels() -> dict[str, str]:
    return {i.code: i.label for i in CodeItem.objects.filter(table__code="residency").order_by("order")}


@require_GET
@records_required
def home(request: HttpRequest) -> HttpResponse:
    grids, counts = overview.area_overview(request.user)
    viewer = visibility.viewer_for(request.user)
    tags = [t for t in queries.person_tags() if viewer.tag_clear(t)]  # no counts of tags the user may not see
    residency = _residency_labels()

    def cells(row: dict[str, Any]) -> dict[str, Any]:
        # One value per column, so the template needs no lookups.
        return {
            **row,
            "residency_cells": [row["residency"].get(code, 0) for code in residency],
            "tag_cells": [row["tags"].get(t.code, 0) for t in tags],
        }

    return render(
        request,
        "registry/home.html",
        {
            "rows": [{"grid": g, **cells(counts[g.code])} for g in grids],
            "total": cells(overview.totals(counts)),
            "tags": tags,
            "residency": residency,
            "q": request.GET.get("q", ""),
        },
    )


@require_GET
@staff_required
def grid(request: HttpRequest, code: str) -> HttpResponse:
    region = or_404(queries.get_grid_for, request.user, code)
    counts = overview.area_counts([region])[region.code]
    buildings = queries.buildings_for(request.user).filter(grid=region).order_by("address", "id")
    page = Paginator(buildings, PAGE_SIZE * 2).get_page(request.GET.get("page"))
    viewer = visibility.viewer_for(request.user)
    tags = [(t, counts["tags"].get(t.code, 0)) for t in queries.person_tags() if viewer.tag_clear(t)]
    residency = [(label, counts["residency"].get(code, 0)) for code, label in _residency_labels().items()]
    return render(
        request,
        "registry/grid.html",
        {"grid": region, "counts": counts, "tags": tags, "residency": residency, "page": page},
    )


@require_GET
@records_required
def building(request: HttpRequest, pk: int) -> HttpResponse:
    found = or_404(queries.get_building_for, request.user, pk)
    organizations = queries.organizations_for(request.user).filter(premises__building=found).select_related("premises")
    return render(
        request,
        "registry/building.html",
        {"building": found, "floors": queries.floors_of(found, request.user), "organizations": organizations},
    )


@require_GET
@records_required
def dwelling(request: HttpRequest, pk: int) -> HttpResponse:
    found = or_404(queries.get_dwelling_for, request.user, pk)
    viewer = visibility.viewer_for(request.user)
    current, past = queries.residences_of_dwelling(found, request.user)
    return render(
        request,
        "registry/dwelling.html",
        {
            "dwelling": found,
            "current": with_roles(current),
            "past": with_roles(past),
            "households": [
                viewer.household(h) for h in found.households.select_related("head").order_by("number", "id")
            ],
            "organizations": queries.organizations_for(request.user).filter(premises=found),
        },
    )


@require_GET
@records_required
def household(request: HttpRequest, pk: int) -> HttpResponse:
    found = or_404(queries.get_household_for, request.user, pk)
    viewer = visibility.viewer_for(request.user)
    members = with_roles(queries.household_members(found, request.user))
    viewer.household(found)
    return render(
        request,
        "registry/household.html",
        {"household": found, "members": members, "history": history_rows("household", found.pk, viewer)},
    )


# --- people ---------------------------------------------------------------------------------------


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@require_GET
@records_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    found = or_404(queries.get_person_for, request.user, pk)
    viewer = visibility.viewer_for(request.user)
    sources = queries.field_sources(found)
    batches = queries.import_batches(list(sources.values()))
    values = {name: getattr(found, name) for name in Person.TRACKED}
    rows = field_rows("person", Person.TRACKED, values, viewer, sources, masked=True)
    for row in rows:
        source = row["source"]
        row["batch"] = batches.get(source.source_ref) if source and source.source_kind == SourceKind.IMPORT else None
    as_of_text = request.GET.get("as_of", "").strip()
    as_of = _parse_day(as_of_text) if as_of_text else None
    as_of_error = _("Give the date as YYYY-MM-DD.") if as_of_text and as_of is None else ""
    as_of_rows = None
    if as_of is not None:
        then = queries.person_as_of(found, as_of)
        as_of_rows = field_rows("person", Person.TRACKED, then, viewer) if then is not None else []
    current, past = queries.residences_of_person(found, request.user)
    members = []
    for residence in current:
        if residence.household_id:
            household_rows = queries.household_members(residence.household, request.user)
            others = [r for r in household_rows if r.person_id != found.pk]
            with_roles(others)
            members.append({"household": residence.household, "members": others})
    # Tags above the clear level are left out entirely: not even that there is one (the reveal is always offered).
    tag_rows = PersonTag.objects.filter(person=found).select_related("tag").order_by("-since")
    held, ended = split_tags(viewer.clear_tag_rows(tag_rows))
    working, worked = queries.employments_of_person(found, request.user)
    return render(
        request,
        "registry/person.html",
        {
            "person": found,
            "rows": rows,
            "as_of": as_of,
            "as_of_text": as_of_text,
            "as_of_error": as_of_error,
            "as_of_rows": as_of_rows,
            "current": with_roles(current),
            "past": with_roles(past),
            "workplaces": working,
            "past_workplaces": worked,
            "employment_shown": not viewer.hidden("employment.organization"),
            "members": members,
            "tags": held,
            "ended_tags": ended,
            "history": history_rows("person", found.pk, viewer),
            "can_edit": can_edit(request.user),
            "may_reveal_tags": viewer.may_reveal_tags(),
        },
    )


def list_order(user: User, record_type: str) -> tuple[str, ...]:
    """A list's order: by name when the user sees names in clear, else by id (an order is an oracle too)."""
    return ("name", "id") if visibility.viewer_for(user).clear(f"{record_type}.name") else ("id",)


def _list(request: HttpRequest, kind: str) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    parsed = search.classify(q)
    tag = request.GET.get("tag", "").strip()[:40] if kind == "people" else ""
    refused = ""
    try:
        if kind == "people":
            qs = (
                search.people_matching(request.user, parsed)
                if q
                else queries.people_for(request.user).order_by(*list_order(request.user, "person"))
            )
            if tag:
                qs = queries.with_tag(qs, request.user, tag)
        else:
            qs = (
                search.organizations_matching(request.user, parsed)
                if q
                else queries.organizations_for(request.user).order_by(*list_order(request.user, "organization"))
            )
            qs = qs.select_related("premises__building")
    except (search.SearchRefused, DomainError) as e:  # a masked field or tag, an unknown tag
        refused = e.message
        qs = Person.objects.none() if kind == "people" else Organization.objects.none()
    page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "kind": kind,
        "q": q,
        "searched_by": search.describe(parsed) if q else "",
        "unsearchable": bool(q) and parsed.kind == search.Kind.NONE,
        "refused": refused,
        "page": page,
    }
    # htmx swaps only the results; a history restore or a plain request gets the whole page.
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "registry/_records_results.html", context)
    return render(request, "registry/records_list.html", context)


@require_GET
@records_required
def people(request: HttpRequest) -> HttpResponse:
    return _list(request, "people")


@require_GET
@records_required
def organizations(request: HttpRequest) -> HttpResponse:
    return _list(request, "organizations")


# --- organisations --------------------------------------------------------------------------------


@require_GET
@records_required
def organization(request: HttpRequest, pk: int) -> HttpResponse:
    found = or_404(queries.get_organization_for, request.user, pk)
    viewer = visibility.viewer_for(request.user)
    values = {name: getattr(found, name) for name in Organization.TRACKED}
    values["premises"] = str(found.premises) if found.premises else ""
    if "premises" in found.masked_fields:
        values["premises"] = visibility.masking.MASKED
    tag_rows = OrganizationTag.objects.filter(organization=found).select_related("tag").order_by("-since")
    held, ended = split_tags(viewer.clear_tag_rows(tag_rows, "organization"))
    premises_visible = (
        found.premises_id is not None and queries.dwellings_for(request.user).filter(pk=found.premises_id).exists()
    )
    workers = _workers(request, found)
    if request.htmx and not request.htmx.history_restore_request:  # the pager swaps the list of workers only
        return render(request, "registry/_workers.html", {"organization": found, **workers})
    return render(
        request,
        "registry/organization.html",
        {
            "organization": found,
            "rows": field_rows("organization", Organization.TRACKED, values, viewer, masked=True),
            "premises_visible": premises_visible,
            "tags": held,
            "ended_tags": ended,
            "history": history_rows("organization", found.pk, viewer),
            **workers,
        },
    )


def _workers(request: HttpRequest, organization: Organization) -> dict[str, Any]:
    """The page of the organisation's current workers (masked by the access point) and which of them the user may
    open (those living in the user's area) or act on."""
    user = request.user
    page = Paginator(queries.employees_of(organization, user), PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "workers": page,
        "worker_links": queries.people_in_scope(user, [e.person_id for e in page.object_list]),
        "employment_shown": not visibility.viewer_for(user).hidden("employment.organization"),
        "can_edit": can_edit(user),
    }


urlpatterns = [
    path("", home, name="registry_home"),
    path("grids/<str:code>/", grid, name="registry_grid"),
    path("buildings/<int:pk>/", building, name="registry_building"),
    path("dwellings/<int:pk>/", dwelling, name="registry_dwelling"),
    path("households/<int:pk>/", household, name="registry_household"),
    path("people/", people, name="registry_people"),
    path("people/<int:pk>/", person, name="registry_person"),
    path("organizations/", organizations, name="registry_organizations"),
    path("organizations/<int:pk>/", organization, name="registry_organization"),
]
