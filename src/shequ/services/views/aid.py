"""The aid ledger's pages (帮扶救助台账): the ledger with search, filters and pages; an item with its findings; the
entry form (the person found by ID number and name, the checks run and their report shown); the import page (the
registry's ledger import with the record type aid); the checks' report (open findings, needs-list people receiving
nothing); an import batch's findings.

Who sees what is ``aid.queries``: a department its own aid in full and of the others only "already helped" flags
(department, kind, since; never an amount); the desks their area's ledger. Anyone else gets a 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.access.decorators import staff_required
from shequ.access.models import Unit, User
from shequ.access.scopes import area_prefix
from shequ.core.errors import DomainError, NotFound
from shequ.geo.models import Region, RegionLevel
from shequ.registry.importing.uploads import batches_for, get_batch_for, may_import
from shequ.registry.models import LedgerSource, Person
from shequ.registry.queries import current_residences, people_with_id_number
from shequ.registry.visibility import viewer_for

from ..aid import actions, queries
from ..aid.importer import RECORD
from ..models import AidItem, AidKind, FindingKind
from .common import number_of

PAGE_SIZE = 50


def _aid_user(request: HttpRequest) -> User:
    """Departments and desks only: for anyone else the ledger does not exist (404)."""
    if not queries.sees_aid(request.user):
        raise Http404()
    return request.user


def _communities(user: User) -> QuerySet[Region]:
    prefix = "" if queries.department_of(user) is not None else (area_prefix(user) or "")
    return Region.objects.filter(level=RegionLevel.COMMUNITY, code__startswith=prefix).order_by("code")


def _departments(user: User) -> QuerySet[Unit]:
    own = queries.department_of(user)
    if own is not None:
        return Unit.objects.filter(pk=own.pk)
    return Unit.objects.filter(active=True).order_by("name")


def _search(user: User, qs: QuerySet[AidItem], q: str) -> tuple[QuerySet[AidItem], str]:
    """An 18-character ID number matches exactly; other text matches names (only for users who see names in
    clear: a masked name is no search key)."""
    q = q.strip()
    if not q:
        return qs, ""
    if len(q) == 18 and q[:17].isdigit():
        people = people_with_id_number(q).values("pk")
    elif viewer_for(user).clear("person.name"):
        people = Person.objects.filter(name__contains=q).values("pk")
    else:
        return qs.none(), _("You do not see names in clear: search by the full ID number.")
    homes = current_residences().filter(person__in=people, household__isnull=False).values("household_id")
    return qs.filter(Q(person__in=people) | Q(household__in=homes)), ""


def _shown(user: User, items: list[AidItem]) -> None:
    """Each item's recipient as the user may see them, and for a department the others' flags."""
    viewer = viewer_for(user)
    heads = dict(
        current_residences()
        .filter(household_id__in=[i.household_id for i in items if i.household_id])
        .order_by("start", "id")
        .values_list("household_id", "person_id")
    )
    flags = queries.flags_for(
        user, [i.person_id or heads.get(i.household_id) for i in items if i.person_id or i.household_id]
    )
    names = dict(Person.objects.filter(pk__in=list(heads.values())).values_list("pk", "name"))
    for item in items:
        name = item.person.name if item.person else names.get(heads.get(item.household_id), "")
        item.recipient = viewer.shown("person.name", name) if name else "—"  # type: ignore[attr-defined]
        item.flags = flags.get(item.person_id or heads.get(item.household_id), [])  # type: ignore[attr-defined]


@require_GET
@staff_required
def ledger(request: HttpRequest) -> HttpResponse:
    user = _aid_user(request)
    qs = queries.items_for(user)
    kind, department, community = (request.GET.get(k, "") for k in ("kind", "department", "community"))
    if kind:
        qs = qs.filter(kind__code=kind)
    if department:
        qs = qs.filter(department_id=number_of(department))
    if community.isascii() and community.isdigit():
        qs = qs.filter(area_code__startswith=community)
    if request.GET.get("current"):
        qs = queries.current(qs)
    qs, refused = _search(user, qs, request.GET.get("q", ""))
    qs = qs.annotate(open_findings=Count("findings", filter=Q(findings__resolved_at__isnull=True))).order_by(
        "-start", "-id"
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _shown(user, list(page.object_list))
    context = {
        "page": page,
        "kinds": AidKind.objects.all(),
        "departments": _departments(user),
        "communities": _communities(user),
        "chosen": {"kind": kind, "department": department, "community": community},
        "current": bool(request.GET.get("current")),
        "q": request.GET.get("q", ""),
        "refused": refused,
        "department": queries.department_of(user),
        "may_import": may_import(user),
    }
    return render(request, "services/aid/ledger.html", context)


@require_GET
@staff_required
def item(request: HttpRequest, pk: int) -> HttpResponse:
    user = _aid_user(request)
    try:
        found = queries.get_item_for(user, pk)
    except NotFound as e:
        raise Http404(e.message) from e
    _shown(user, [found])
    context = {"item": found, "findings": queries.findings_for(user).filter(aid=found)}
    return render(request, "services/aid/item.html", context)


class EntryForm(forms.Form):
    id_number = forms.CharField(label=pgettext_lazy("services", "ID number"), max_length=18)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=50)
    kind = forms.ModelChoiceField(label=gettext_lazy("aid kind"), queryset=AidKind.objects.filter(active=True))
    department = forms.ModelChoiceField(label=gettext_lazy("department"), queryset=Unit.objects.none())
    start = forms.DateField(label=pgettext_lazy("aid", "from"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label=pgettext_lazy("aid", "to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = forms.CharField(label=gettext_lazy("amount (yuan)"), max_length=20, required=False)
    household = forms.BooleanField(label=gettext_lazy("For the whole household"), required=False)
    note = forms.CharField(label=gettext_lazy("note"), max_length=200, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = _departments(user)
        own = queries.department_of(user)
        if own is not None:
            field.initial = own.pk


@require_http_methods(["GET", "POST"])
@staff_required
def entry(request: HttpRequest) -> HttpResponse:
    """Record one aid item: the recipient by ID number and name together, then the checks; their report is shown on
    the item's page (an entry is never refused for a finding: staff decide, and resolve it)."""
    user = _aid_user(request)
    form = EntryForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = queries.find_recipient(user, id_number=data["id_number"], name=data["name"])
            done = actions.record_aid(
                by=user,
                kind=data["kind"],
                department=data["department"],
                person=person,
                start=data["start"],
                end=data["end"],
                amount=data["amount"],
                household=data["household"],
                note=data["note"],
            )
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            if done.findings:
                messages.warning(
                    request, _("Recorded. The checks found %(n)d problem(s): see below.") % {"n": len(done.findings)}
                )
            else:
                messages.success(request, _("Recorded. The checks found nothing."))
            return redirect("services:aid_item", pk=done.item.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "services/aid/entry.html", {"form": form}, status=status)


@require_GET
@staff_required
def imports(request: HttpRequest) -> HttpResponse:
    """Upload a department's aid spreadsheet into the registry's ledger import (mapping per source, dry run with
    progress, every rejected row listed, all or nothing), with this record type chosen; the aid batches so far."""
    user = _aid_user(request)
    if not may_import(user):
        raise Http404()
    batches = batches_for(user).filter(source__record_type=RECORD)
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    sources = LedgerSource.objects.filter(record_type=RECORD).order_by("name")
    context = {"page": page, "sources": sources, "record": RECORD, "departments": _departments(user)}
    return render(request, "services/aid/import.html", context)


CHECKS = (*FindingKind.values, "unhelped")


@require_GET
@staff_required
def checks(request: HttpRequest) -> HttpResponse:
    """The checks' report: open findings (overlap, dead, moved away) and, for the desks, the needs-list people
    receiving nothing."""
    user = _aid_user(request)
    chosen = request.GET.get("check", "")
    chosen = chosen if chosen in CHECKS else ""
    findings = queries.findings_for(user).filter(resolved_at__isnull=True)
    unhelped = queries.unhelped(user)
    counts = {k: findings.filter(kind=k).count() for k in FindingKind.values}
    counts["unhelped"] = unhelped.count()
    viewer = viewer_for(user)
    if chosen == "unhelped":
        page = Paginator(unhelped, PAGE_SIZE).get_page(request.GET.get("page"))
        for subject in page.object_list:
            subject.person_name = viewer.shown("person.name", subject.person.name)
    else:
        page = Paginator(findings.filter(kind=chosen) if chosen else findings, PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        for f in page.object_list:
            f.person_name = viewer.shown("person.name", f.person.name)
    labels = dict(FindingKind.choices) | {"unhelped": _("On the needs list, receiving nothing")}
    context = {
        "page": page,
        "chosen": chosen,
        "tabs": [(k, labels[k], counts[k]) for k in CHECKS if k != "unhelped" or queries.department_of(user) is None],
    }
    return render(request, "services/aid/checks.html", context)


@require_POST
@staff_required
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    user = _aid_user(request)
    try:
        finding = queries.get_finding_for(user, pk)
        actions.resolve_finding(finding, by=user, resolution=request.POST.get("resolution", ""))
    except NotFound as e:
        raise Http404(e.message) from e
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Done."))
    return redirect(request.POST.get("next") if _safe(request.POST.get("next", "")) else "services:aid_checks")


def _safe(url: str) -> bool:
    return url.startswith("/services/aid/") and "//" not in url


@require_GET
@staff_required
def batch_report(request: HttpRequest, pk: int) -> HttpResponse:
    """What the checks found on an aid import batch (a dry run's rows too), beyond its rejections."""
    try:
        batch = get_batch_for(request.user, pk)
    except NotFound as e:
        raise Http404(e.message) from e
    if batch.source.record_type != "aid":
        raise Http404()
    findings = queries.findings_for(request.user).filter(batch=batch).order_by("row", "id")
    page = Paginator(findings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "services/aid_batch.html", {"batch": batch, "page": page})
