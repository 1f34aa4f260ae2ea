"""The monthly report's pages: the printable page and its XLSX of an area and month, the subscription switch, and
the reports sent to a subscriber. Area staff only, for areas they cover (404 otherwise)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shequ.access.decorators import staff_required
from shequ.access.scopes import area_prefix, regions_for
from shequ.core import clock
from shequ.events.queries import events_for
from shequ.geo.models import Region, RegionLevel

from . import reports
from .indicators import INDICATOR
from .inspection_models import ReportRun, Subscription

LEVELS = (RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.COMMUNITY)


def _area(request: HttpRequest, code: str) -> Region:
    """The report's area: one the user covers (their own by default); a handler has none (404)."""
    prefix = area_prefix(request.user)  # type: ignore[arg-type]
    if prefix is None:
        raise Http404()
    code = code or prefix
    region = regions_for(request.user).filter(code=code, level__in=LEVELS).first()  # type: ignore[arg-type]
    if region is None:
        region = Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code").first() if not code else None
    if region is None or not region.code.startswith(prefix):
        raise Http404()
    return region


def _month(text: str | None) -> date:
    try:
        return date.fromisoformat(f"{text}-01")
    except (TypeError, ValueError):
        return reports.last_month(timezone.localdate(clock.now()))


def _report(request: HttpRequest) -> reports.MonthlyReport:
    region = _area(request, request.GET.get("area", ""))
    return reports.build(region, _month(request.GET.get("month")), events=events_for(request.user))  # type: ignore[arg-type]


def _in_columns(figures: list) -> list:
    by_code = {f.code: f for f in figures}
    return [by_code[c] for c in reports.COLUMNS]


@require_GET
@staff_required
def report_page(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    user = request.user
    return render(
        request,
        "assessment/report.html",
        {
            "report": report,
            "columns": [INDICATOR[c] for c in reports.COLUMNS],
            "rows": [(row, _in_columns(row.figures)) for row in report.figures.rows],
            "total": _in_columns(report.figures.figures),
            "areas": regions_for(user).filter(level__in=LEVELS).order_by("code")[:300],  # type: ignore[arg-type]
            "subscribed": Subscription.objects.filter(user=user, region=report.region).exists(),
            "may_subscribe": report.region.level in reports.REPORT_LEVELS,
            "runs": ReportRun.objects.filter(
                region__in=Subscription.objects.filter(user=user).values("region")
            ).select_related("region")[:24],
        },
    )


@require_GET
@staff_required
def report_xlsx(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    response = HttpResponse(reports.xlsx(report), content_type=reports.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{reports.file_name(report)}"'
    return response


@require_POST
@staff_required
def subscribe(request: HttpRequest) -> HttpResponse:
    region = _area(request, request.POST.get("area", ""))
    if region.level not in reports.REPORT_LEVELS:
        raise Http404()
    if request.POST.get("on") == "1":
        Subscription.objects.get_or_create(
            user=request.user, region=region, defaults={"email": request.POST.get("email") == "1"}
        )
        messages.success(request, _("You will receive this report on the first working day of each month."))
    else:
        Subscription.objects.filter(user=request.user, region=region).delete()
        messages.success(request, _("You no longer receive this report."))
    return redirect(f"{request.path.rsplit('subscribe/', 1)[0]}?area={region.code}")


@require_GET
@staff_required
def run_file(request: HttpRequest, pk: int) -> FileResponse:
    run = ReportRun.objects.filter(
        pk=pk, region__in=Subscription.objects.filter(user=request.user).values("region")
    ).first()
    prefix = area_prefix(request.user)  # type: ignore[arg-type]
    if run is None or prefix is None or not run.region.code.startswith(prefix):
        raise Http404()
    return FileResponse(run.file.open("rb"), as_attachment=True, filename=run.file.name.rsplit("/", 1)[-1])
