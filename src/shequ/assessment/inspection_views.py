"""Spot-check pages: the supervisors' list and draw form, a draw with its seed (anyone may repeat it), and the
phone page that records one item on site (pass or fail, a note, a photo)."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shequ.access.decorators import staff_required
from shequ.access.scopes import regions_for
from shequ.core.errors import DomainError, NotFound
from shequ.geo.models import RegionLevel

from . import inspections
from .inspection_models import InspectionKind, Result


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    try:
        return int(text or "")
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
@staff_required
def inspections_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    supervisor = user.sees_everything or user.role in inspections.SUPERVISORS  # type: ignore[union-attr]
    areas = regions_for(user).filter(level__in=(RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.COMMUNITY))  # type: ignore[arg-type]
    if request.method == "POST":
        if not supervisor:
            raise Http404()
        region = areas.filter(code=request.POST.get("region", "")).first()
        start, end = _date(request.POST.get("date_from")), _date(request.POST.get("date_to"))
        if region is None or start is None or end is None:
            messages.error(request, _("Choose the area and the period."))
            return redirect("assessment:inspections")
        try:
            drawn = inspections.draw(
                by=user,  # type: ignore[arg-type]
                kind=request.POST.get("kind", ""),
                region=region,
                date_from=start,
                date_to=end,
                size=_int(request.POST.get("size")) or 0,
                seed=_int(request.POST.get("seed")),
                note=request.POST.get("note", ""),
            )
        except DomainError as e:
            messages.error(request, e.message)
            return redirect("assessment:inspections")
        return redirect("assessment:inspection", pk=drawn.pk)
    qs = inspections.inspections_for(user).select_related("region", "drawn_by")  # type: ignore[arg-type]
    today = date.today()
    return render(
        request,
        "assessment/inspections.html",
        {
            "supervisor": supervisor,
            "areas": areas.order_by("code")[:300] if supervisor else [],
            "kinds": InspectionKind.choices,
            "page": Paginator(qs, 30).get_page(request.GET.get("page")),
            "default_from": (today.replace(day=1) - timedelta(days=1)).replace(day=1),
            "default_to": today.replace(day=1) - timedelta(days=1),
        },
    )


@require_GET
@staff_required
def inspection_page(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = inspections.inspections_for(request.user).filter(pk=pk).select_related("region").first()  # type: ignore[arg-type]
    if inspection is None:
        raise Http404()
    items = inspection.items.select_related("event", "task_item__person", "task_item__task__grid", "checked_by")
    drawn = [i.event_id or i.task_item_id for i in items]
    return render(
        request,
        "assessment/inspection.html",
        {
            "inspection": inspection,
            "items": items,
            "repeats": inspections.redraw(inspection) == drawn,
            "PENDING": Result.PENDING,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def item_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone page: one item, its place and story, and the result form."""
    try:
        item = inspections.get_item_for(request.user, pk)  # type: ignore[arg-type]
    except NotFound as e:
        raise Http404(e.message) from e
    error = ""
    if request.method == "POST":
        try:
            inspections.check(
                item,
                by=request.user,  # type: ignore[arg-type]
                passed=request.POST.get("result") == "passed",
                note=request.POST.get("note", ""),
                photo=request.FILES.get("photo"),
            )
            messages.success(request, _("The result is recorded."))
            return redirect("assessment:inspection", pk=item.inspection_id)
        except DomainError as e:
            error = e.message
    return render(request, "assessment/inspection_item.html", {"item": item, "error": error, "PENDING": Result.PENDING})
