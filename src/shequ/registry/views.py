"""The community base's staff pages: the area overview, grid, building, dwelling, household, person and organisation
pages linked to each other, the people and organisation lists with search, the manual edit of a person, and where
people work (adding a workplace from the person's page, ending an employment after a confirmation).

Views parse the request, read through ``registry.queries`` (every read scoped to the user: out of area is a 404;
people and organisations come masked by the user's clearance, ``registry.visibility``) and ``registry.search``, and
write through ``registry.actions``. Values read from elsewhere (history, a record as of a date, related people) are
shown through the same ``Viewer``. Pages work without JavaScript; htmx only swaps the search results and revealed
values in place.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as PageForbidden
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shequ.access.decorators import records_required, staff_required
from shequ.access.models import User
from shequ.core.errors import DomainError, NotFound
from shequ.core.errors import PermissionDenied as DomainForbidden

from . import actions, queries, search, visibility
from .dictionary import CodeItem, Field, FieldType
from .models import Change, Employment, Organization, OrganizationTag, Person, PersonTag, SourceKind

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


def _or_404(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except NotFound as e:
        raise Http404(e.message) from e


def can_edit(user: User) -> bool:
    return queries.may_edit_records(user)


# --- dictionary-driven display ------------------------------------------------------------------


def _fields(record_type: str, names: tuple[str, ...]) -> list[Field]:
    """The dictionary's fields of a record type, in the model's order."""
    by_name = {f.attribute: f for f in Field.objects.filter(name__startswith=f"{record_type}.")}
    return [by_name[n] for n in names if n in by_name]


def _code_labels(fields: list[Field]) -> dict[str, dict[str, str]]:
    tables = [f.code_table_id for f in fields if f.code_table_id]
    labels: dict[int, dict[str, str]] = {}
    for item in CodeItem.objects.filter(table_id__in=tables):
        labels.setdefault(item.table_id, {})[item.code] = item.label
    return {f.attribute: labels.get(f.code_table_id, {}) for f in fields if f.code_table_id}


def _display(value: Any, codes: dict[str, str] | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if codes is not None:
        return codes.get(str(value), str(value))
    return str(value)


def field_rows(
    record_type: str,
    names: tuple[str, ...],
    values: dict[str, Any],
    viewer: visibility.Viewer,
    sources: dict[str, Change] | None = None,
    *,
    masked: bool = False,
) -> list[dict[str, Any]]:
    """Label, displayed value, sensitivity and (when the value is clear) the Change that set it, for each dictionary
    field the viewer may know of. ``masked``: the values are masked already (a masked instance's); otherwise they
    are raw (a record as of a date) and masked here."""
    fields = [f for f in _fields(record_type, names) if not viewer.hidden(f.name)]
    codes = _code_labels(fields)
    rows = []
    for f in fields:
        clear = viewer.clear(f.name)
        value = values.get(f.attribute)
        shown = value if masked or clear else viewer.shown(f.name, value)
        rows.append(
            {
                "name": f.attribute,
                "label": f.label,
                "sensitivity": f.sensitivity,
                "value": _display(shown, codes.get(f.attribute) if clear else None),
                "masked": not clear and value not in (None, ""),
                "revealable": not clear and value not in (None, "") and viewer.may_reveal(f.name),
                # where a value came from (the batch's ledger name, the source) says something about it too
                "source": (sources or {}).get(f.attribute) if clear else None,
            }
        )
    return rows


def _history_rows(record_type: str, record_id: int, viewer: visibility.Viewer) -> list[dict[str, Any]]:
    """A record's changes, newest first, with field labels, displayed values (masked by each field's level; the
    changes of a hidden field left out) and the import batch if any."""
    changes = list(queries.history(record_type, record_id)[:200])
    fields = {f.attribute: f for f in Field.objects.filter(name__startswith=f"{record_type}.")}
    codes = _code_labels(list(fields.values()))
    batches = queries.import_batches(changes)
    rows = []
    for c in changes:
        name = f"{record_type}.{c.field}"
        if viewer.hidden(name):
            continue
        clear = viewer.clear(name)
        rows.append(
            {
                "change": c,
                "label": fields[c.field].label if c.field in fields else c.field,
                "old": _display(viewer.shown(name, c.old_value), codes.get(c.field) if clear else None),
                "new": _display(viewer.shown(name, c.new_value), codes.get(c.field) if clear else None),
                "batch": batches.get(c.source_ref) if c.source_kind == SourceKind.IMPORT and clear else None,
                "masked": not clear,
            }
        )
    return rows


def _tag_rows(rows: Any) -> tuple[list[Any], list[Any]]:
    """(held, ended) tag rows."""
    today = queries.clock.now().date()
    held, ended = [], []
    for row in rows:
        (held if row.until is None or row.until > today else ended).append(row)
    return held, ended


def _with_roles(rows: list[Any]) -> list[Any]:
    """Residences with ``role_label``, the residence-role code table's label for their role."""
    labels = {i.code: i.label for i in CodeItem.objects.filter(table__code="residence_role")}
    for row in rows:
        row.role_label = labels.get(row.role, row.role)
    return rows


# --- overview pages -------------------------------------------------------------------------------


def _residency_labels() -> dict[str, str]:
    return {i.code: i.label for i in CodeItem.objects.filter(table__code="residency").order_by("order")}


@require_GET
@records_required
def home(request: HttpRequest) -> HttpResponse:
    grids, counts = queries.area_overview(request.user)
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
            "total": cells(queries.totals(counts)),
            "tags": tags,
            "residency": residency,
            "q": request.GET.get("q", ""),
        },
    )


@require_GET
@staff_required
def grid(request: HttpRequest, code: str) -> HttpResponse:
    region = _or_404(queries.get_grid_for, request.user, code)
    counts = queries.area_counts([region])[region.code]
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
    found = _or_404(queries.get_building_for, request.user, pk)
    organizations = queries.organizations_for(request.user).filter(premises__building=found).select_related("premises")
    return render(
        request,
        "registry/building.html",
        {"building": found, "floors": queries.floors_of(found, request.user), "organizations": organizations},
    )


@require_GET
@records_required
def dwelling(request: HttpRequest, pk: int) -> HttpResponse:
    found = _or_404(queries.get_dwelling_for, request.user, pk)
    viewer = visibility.viewer_for(request.user)
    current, past = queries.residences_of_dwelling(found, request.user)
    return render(
        request,
        "registry/dwelling.html",
        {
            "dwelling": found,
            "current": _with_roles(current),
            "past": _with_roles(past),
            "households": [
                viewer.household(h) for h in found.households.select_related("head").order_by("number", "id")
            ],
            "organizations": queries.organizations_for(request.user).filter(premises=found),
        },
    )


@require_GET
@records_required
def household(request: HttpRequest, pk: int) -> HttpResponse:
    found = _or_404(queries.get_household_for, request.user, pk)
    viewer = visibility.viewer_for(request.user)
    members = _with_roles(queries.household_members(found, request.user))
    viewer.household(found)
    return render(
        request,
        "registry/household.html",
        {"household": found, "members": members, "history": _history_rows("household", found.pk, viewer)},
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
    found = _or_404(queries.get_person_for, request.user, pk)
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
            _with_roles(others)
            members.append({"household": residence.household, "members": others})
    # Tags above the clear level are left out entirely: not even that there is one (the reveal is always offered).
    tag_rows = PersonTag.objects.filter(person=found).select_related("tag").order_by("-since")
    held, ended = _tag_rows(viewer.clear_tag_rows(tag_rows))
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
            "current": _with_roles(current),
            "past": _with_roles(past),
            "workplaces": working,
            "past_workplaces": worked,
            "employment_shown": not viewer.hidden("employment.organization"),
            "members": members,
            "tags": held,
            "ended_tags": ended,
            "history": _history_rows("person", found.pk, viewer),
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


# --- the manual edit of a person ------------------------------------------------------------------


class PersonForm(forms.Form):
    """The dictionary's person fields (labels, code tables, required flags come from the Field rows), only those
    the user sees in clear: a masked value is never offered, so it can never be written back."""

    def __init__(self, *args: Any, person: Person, viewer: visibility.Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        self.dictionary = [f for f in _fields("person", Person.TRACKED) if viewer.clear(f.name)]
        for f in self.dictionary:
            self.fields[f.attribute] = self._form_field(f)
            self.initial[f.attribute] = getattr(person, f.attribute)

    @staticmethod
    def _form_field(f: Field) -> forms.Field:
        common = {"label": f.label, "required": f.required, "help_text": f.description}
        if f.type == FieldType.CODE and f.code_table_id:
            items = CodeItem.objects.filter(table_id=f.code_table_id, active=True).order_by("order", "code")
            return forms.ChoiceField(choices=[("", "—"), *[(i.code, i.label) for i in items]], **common)
        if f.type == FieldType.DATE:
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
        if f.attribute == "note":
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, **common)
        # Room for spaces and dashes people type in numbers; the action normalises and checks them.
        max_length = 30 if f.type in (FieldType.ID_NUMBER, FieldType.PHONE) else None
        return forms.CharField(max_length=max_length or Person._meta.get_field(f.attribute).max_length, **common)

    def changed_values(self) -> dict[str, Any]:
        """Only the fields the user changed, as the action expects them (empty text, None for no date)."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name in self.cleaned_data}

    def save(self, user: User) -> list[Change]:
        try:
            return actions.update_person(self.person, by=user, source=actions.MANUAL, **self.changed_values())
        except DomainError as e:
            self.add_error(e.field if e.field in self.fields else None, e.message)
            raise


@require_http_methods(["GET", "POST"])
@staff_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    # The record in clear, for the fields the form offers (those the user sees in clear) and the write.
    found = _or_404(queries.get_person_unmasked_for, request.user, pk)
    if not can_edit(request.user):
        raise PageForbidden
    form = PersonForm(request.POST or None, person=found, viewer=visibility.viewer_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            changes = form.save(request.user)
        except DomainError:
            pass
        else:
            if changes:
                messages.success(request, _("Saved: %(n)s fields changed.") % {"n": len(changes)})
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("registry_person", pk=found.pk)
    shown = queries.get_person_for(request.user, pk)  # the heading shows the name as the user may see it
    return render(
        request, "registry/person_edit.html", {"person": shown, "form": form}, status=400 if form.errors else 200
    )


# --- organisations --------------------------------------------------------------------------------


@require_GET
@records_required
def organization(request: HttpRequest, pk: int) -> HttpResponse:
    found = _or_404(queries.get_organization_for, request.user, pk)
    viewer = visibility.viewer_for(request.user)
    values = {name: getattr(found, name) for name in Organization.TRACKED}
    values["premises"] = str(found.premises) if found.premises else ""
    if "premises" in found.masked_fields:
        values["premises"] = visibility.masking.MASKED
    tag_rows = OrganizationTag.objects.filter(organization=found).select_related("tag").order_by("-since")
    held, ended = _tag_rows(viewer.clear_tag_rows(tag_rows, "organization"))
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
            "history": _history_rows("organization", found.pk, viewer),
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


# --- where people work: add a workplace, end an employment ------------------------------------------------------


class EmploymentForm(forms.Form):
    """An organisation of the user's area (chosen from a name search), the position and the start, labelled by the
    data dictionary's employment.* fields."""

    organization = forms.IntegerField(min_value=1, max_value=2**53)
    position = forms.CharField(max_length=50, required=False)
    since = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {f.attribute: f for f in _fields("employment", ("organization", "position", "start"))}
        for name, attribute in (("organization", "organization"), ("position", "position"), ("since", "start")):
            if attribute in labels:
                self.fields[name].label = labels[attribute].label
        # chosen with a radio button among the search results (``_employment_choices.html``)
        self.fields["organization"].error_messages["required"] = _("Search for the organization and choose it.")


def _organization_choices(user: User, q: str) -> tuple[list[Organization], str]:
    """Organisations of the user's area found by a name, credit code or address search (masked), or why not."""
    if not q:
        return [], ""
    try:
        found = search.organizations_matching(user, search.classify(q))
    except (search.SearchRefused, DomainError) as e:
        return [], e.message
    return list(found.select_related("premises__building")[:20]), ""


@require_http_methods(["GET", "POST"])
@staff_required
def employment_new(request: HttpRequest, pk: int) -> HttpResponse:
    """添加工作单位: search the area's organisations by name, choose one, give the position and the start."""
    user = request.user
    shown = _or_404(queries.get_person_for, user, pk)  # the heading shows the person as the user may see them
    if not can_edit(user):
        raise PageForbidden
    # the search that found the choices: in the query while searching, beside the choice once posted
    q = (request.GET.get("q") or request.POST.get("q") or "").strip()[:60]
    form = EmploymentForm(request.POST or None, initial={"since": queries.clock.now().date()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = queries.get_person_unmasked_for(user, pk)
            organization = queries.get_organization_unmasked_for(user, data["organization"])
            actions.employ(
                person, organization, since=data["since"], position=data["position"], by=user, source=actions.MANUAL
            )
        except NotFound:
            form.add_error("organization", _("Choose an organization of your area."))
        except DomainError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Workplace added."))
            return redirect("registry_person", pk=pk)
    choices, refused = _organization_choices(user, q)
    chosen = str(form["organization"].value() or "")
    context = {"person": shown, "form": form, "q": q, "choices": choices, "refused": refused, "chosen": chosen}
    if request.method == "GET" and request.htmx and not request.htmx.history_restore_request:
        return render(request, "registry/_employment_choices.html", context)
    return render(request, "registry/employment_form.html", context, status=400 if form.errors else 200)


class EndEmploymentForm(forms.Form):
    until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    back = forms.ChoiceField(choices=[("person", "person"), ("organization", "organization")], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        end = Field.objects.filter(name="employment.end").first()
        self.fields["until"].label = end.label if end is not None else _("Left on")
        self.fields["back"].widget = forms.HiddenInput()


@require_http_methods(["GET", "POST"])
@staff_required
def employment_end(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation (htmx swaps it in place of the button); POST: end the employment on the given day."""
    user = request.user
    employment = _or_404(queries.get_employment_unmasked_for, user, pk)  # person and organisation in the area
    if not can_edit(user):
        raise PageForbidden
    back = request.POST.get("back") or request.GET.get("back") or "person"
    back = back if back in ("person", "organization") else "person"
    form = EndEmploymentForm(request.POST or None, initial={"until": queries.clock.now().date(), "back": back})
    if request.method == "POST" and form.is_valid():
        try:
            actions.leave_employment(employment, until=form.cleaned_data["until"], by=user, source=actions.MANUAL)
        except DomainError as e:
            form.add_error("until" if e.field == "end" else None, e.message)
        else:
            messages.success(request, _("Employment ended."))
            if back == "organization":
                return redirect("registry_organization", pk=employment.organization_id)
            return redirect("registry_person", pk=employment.person_id)
    # What the page shows is a masked copy, read again: the instance above is the one written.
    shown = Employment.objects.select_related("person", "organization").get(pk=employment.pk)
    visibility.viewer_for(user).employments([shown], [shown.organization_id])
    fragment = bool(request.htmx) and request.method == "GET"
    context = {
        "employment": shown,
        "form": form,
        "back": back,
        "fragment": fragment,
        "base_template": "registry/_fragment.html" if fragment else "base.html",
    }
    return render(request, "registry/employment_end.html", context, status=400 if form.errors else 200)


# --- reveal: a masked value in clear, on request with a purpose (audited) ----------------------------------------


class RevealForm(forms.Form):
    fields_ = forms.CharField(max_length=200)  # the field names, comma separated ("id_number", "tags")
    purpose = forms.ChoiceField(choices=())
    purpose_text = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = list(visibility.purpose_labels().items())
        self.fields["purpose"].label = _("Purpose")
        self.fields["purpose_text"].label = _("In words")
        self.fields["fields_"].widget = forms.HiddenInput()

    def names(self) -> list[str]:
        return [n.strip() for n in self.cleaned_data["fields_"].split(",") if n.strip()]


def _field_labels(names: list[str]) -> list[str]:
    labels = {f.attribute: f.label for f in _fields("person", (*Person.TRACKED, visibility.TAGS))}
    return [labels.get(n, n) for n in names]


@require_http_methods(["GET", "POST"])
@records_required
def person_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the small form asking why (htmx swaps it in place of the masked value); POST: the clear values."""
    shown = _or_404(queries.get_person_for, request.user, pk)  # out of scope: 404 before anything else
    names = [n for n in request.GET.get("fields", request.POST.get("fields_", "")).split(",") if n]
    fragment = bool(request.htmx)
    context: dict[str, Any] = {"person": shown, "names": ",".join(names), "labels": _field_labels(names)}
    context["fragment"] = fragment
    context["base_template"] = "registry/_fragment.html" if fragment else "base.html"
    if request.method == "GET":
        context["form"] = RevealForm(initial={"fields_": ",".join(names)})
        return render(request, "registry/reveal.html", context)
    form = RevealForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(request, "registry/reveal.html", context, status=400)
    try:
        purpose = visibility.purpose_text(form.cleaned_data["purpose"], form.cleaned_data["purpose_text"])
        shown_values = visibility.reveal_person(request.user, pk, form.names(), purpose)
    except NotFound as e:
        raise Http404(e.message) from e
    except DomainForbidden as e:
        return render(request, "registry/reveal.html", {**context, "refused": e.message}, status=403)
    except DomainError as e:
        form.add_error(None, e.message)
        return render(request, "registry/reveal.html", context, status=400)
    labels = {f.attribute: f for f in _fields("person", Person.TRACKED)}
    codes = _code_labels(list(labels.values()))
    context["revealed"] = [
        {"name": n, "label": labels[n].label if n in labels else n, "value": _display(v, codes.get(n))}
        for n, v in shown_values["values"].items()
    ]
    context["revealed_tags"] = shown_values["tags"]
    context["tags_asked"] = visibility.TAGS in form.names()
    return render(request, "registry/reveal.html", context)


urlpatterns = [
    path("", home, name="registry_home"),
    path("grids/<str:code>/", grid, name="registry_grid"),
    path("buildings/<int:pk>/", building, name="registry_building"),
    path("dwellings/<int:pk>/", dwelling, name="registry_dwelling"),
    path("households/<int:pk>/", household, name="registry_household"),
    path("people/", people, name="registry_people"),
    path("people/<int:pk>/", person, name="registry_person"),
    path("people/<int:pk>/edit/", person_edit, name="registry_person_edit"),
    path("people/<int:pk>/reveal/", person_reveal, name="registry_person_reveal"),
    path("organizations/", organizations, name="registry_organizations"),
    path("organizations/<int:pk>/", organization, name="registry_organization"),
    path("people/<int:pk>/employments/new/", employment_new, name="registry_employment_new"),
    path("employments/<int:pk>/end/", employment_end, name="registry_employment_end"),
]
