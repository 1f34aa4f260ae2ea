"""Assessment pages: the indicators of a scope (every figure a link to the events behind it), the list behind a
figure. Views parse, ask ``queries.scope_for`` (404 out of scope) and render what ``figures`` computes."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from shequ.access.decorators import staff_required
from shequ.core.errors import DomainError, NotFound
from shequ.registry.visibility import viewer_for
from shequ.services.care.queries import sees_care

from .figures import figures_for, parse_period
from .forms import ScopeForm
from .indicators import INDICATORS, MEASURE
from .queries import Drill, Period, Scope, events_behind, facts_behind, scope_for, visits_behind

PAGE_SIZE = 30


def _scope(request: HttpRequest, form: ScopeForm) -> tuple[Scope, Period, str]:
    """The scope, period and breakdown asked for: 404 for a scope the user may not see."""
    data = form.cleaned_data if form.is_valid() else {}
    try:
        scope = scope_for(
            request.user,  # type: ignore[arg-type]
            area=data.get("area") or "",
            unit=data.get("unit"),
            person=data.get("person"),
        )
        period = parse_period(data.get("start"), data.get("end"))
    except NotFound as e:
        raise Http404(e.message) from e
    return scope, period, data.get("by") or ""


@require_GET
@staff_required
def indicators_page(request: HttpRequest) -> HttpResponse:
    form = ScopeForm(request.GET or None, user=request.user)  # type: ignore[arg-type]
    scope, period, by = _scope(request, form)
    error = ""
    try:
        found = figures_for(scope, period, by=by)
    except DomainError as e:
        error, found = e.message, figures_for(scope, period)
    return render(
        request,
        "assessment/indicators.html",
        {"form": form, "found": found, "error": error, "definitions": INDICATORS},
    )


@require_GET
@staff_required
def behind_page(request: HttpRequest) -> HttpResponse:
    form = ScopeForm(request.GET, user=request.user)  # type: ignore[arg-type]
    scope, period, _by = _scope(request, form)
    measure = request.GET.get("measure", "")
    try:
        drill = Drill(measure, by=request.GET.get("by", ""), key=request.GET.get("key", ""))
    except DomainError as e:
        raise Http404(e.message) from e
    counted = MEASURE[measure]
    if counted.records:  # its own records' page (visits): the same scope, period and breakdown
        return redirect(reverse(counted.records) + "?" + request.GET.urlencode())
    if counted.events:
        qs = events_behind(request.user, scope, period, drill).select_related("category", "unit")  # type: ignore[arg-type]
    else:
        qs = facts_behind(scope, period, drill)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "assessment/behind.html",
        {"scope": scope, "period": period, "measure": counted, "drill": drill, "page": page},
    )


@require_GET
@staff_required
def visits_page(request: HttpRequest) -> HttpResponse:
    """The care visits behind a "visits made" figure, each with its location check; people masked as in services."""
    if not sees_care(request.user):  # type: ignore[arg-type]
        raise Http404()  # care is services' to show: a unit's handler sees no visits
    form = ScopeForm(request.GET, user=request.user)  # type: ignore[arg-type]
    scope, period, _by = _scope(request, form)
    try:
        drill = Drill("visits", by=request.GET.get("by", ""), key=request.GET.get("key", ""))
    except DomainError as e:
        raise Http404(e.message) from e
    qs = visits_behind(request.user, scope, period, drill)  # type: ignore[arg-type]
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    viewer = viewer_for(request.user)
    for visit in page.object_list:
        visit.person_name = viewer.shown("person.name", visit.subject.person.name)
    return render(
        request,
        "assessment/visits.html",
        {"scope": scope, "period": period, "measure": MEASURE["visits"], "page": page},
    )
