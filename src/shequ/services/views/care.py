"""Care pages: the grid worker's visits on the phone (the most urgent first) and recording one (position, how the
person is, findings, optionally an event); the community's needs list with its plans and missed visits."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shequ.access.decorators import staff_required
from shequ.core.errors import DomainError
from shequ.registry.visibility import viewer_for

from ..care import actions, queries
from ..models import Wellbeing
from ..orders.queries import offered_in
from .common import PAGE_SIZE, found, number_of


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


@staff_required
@require_GET
def my_visits(request: HttpRequest) -> HttpResponse:
    """The grid worker's open visits; for the desks, the escalated ones and the plans per grid."""
    viewer = viewer_for(request.user)
    tasks = list(queries.my_tasks(request.user)[:100])
    for t in tasks:
        t.person_name = viewer.shown("person.name", t.subject.person.name)
        t.state = queries.due_label(t)
    context = {"tasks": tasks, "plans": queries.plans(request.user), "escalated": queries.escalated(request.user)[:50]}
    return render(request, "services/care/visits.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    task = found(queries.get_task_for, request.user, pk)
    error = ""
    if request.method == "POST":
        followup = None
        service = offered_in(task.grid.code).filter(pk=number_of(request.POST.get("service"))).first()
        if request.POST.get("event_text", "").strip() or service is not None:
            followup = actions.Followup(
                event_text=request.POST.get("event_text", ""),
                service=service,
                order_request=request.POST.get("order_request", ""),
            )
        try:
            actions.record_visit(
                task,
                by=request.user,
                wellbeing=request.POST.get("wellbeing", ""),
                findings=request.POST.get("findings", ""),
                lon=_float(request.POST.get("lon")),
                lat=_float(request.POST.get("lat")),
                followup=followup,
            )
        except DomainError as e:
            error = e.message
        else:
            messages.success(request, _("The visit is recorded."))
            return redirect("services:care_visits")
    viewer = viewer_for(request.user)
    context = {
        "task": task,
        "person_name": viewer.shown("person.name", task.subject.person.name),
        "wellbeing": Wellbeing.choices,
        "error": error,
        "history": task.timeline.all(),
        "services": offered_in(task.grid.code) if task.is_open else [],
    }
    return render(request, "services/care/visit.html", context, status=400 if error else 200)


@staff_required
@require_GET
def needs_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    qs = queries.subjects_for(request.user).filter(active=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for s in page.object_list:
        s.person_name = viewer.shown("person.name", s.person.name)
    return render(request, "services/care/needs.html", {"page": page})
