"""The dashboards (ECharts, each chart with its table and CSV) and the command-centre wall board."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shequ.access.decorators import staff_required
from shequ.alerts import live

from . import boardlive, dashboards
from .forms import ScopeForm
from .views import _scope


@require_GET
@staff_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    form = ScopeForm(request.GET or None, user=request.user)  # type: ignore[arg-type]
    scope, period, _by = _scope(request, form)
    charts = dashboards.charts(request.user, scope, period)  # type: ignore[arg-type]
    return render(
        request,
        "assessment/dashboard.html",
        {
            "form": form,
            "scope": scope,
            "period": period,
            "charts": charts,
            "data": {
                "charts": [c.as_dict() for c in charts],
                "heat": dashboards.heat(request.user, scope, period),  # type: ignore[arg-type]
                "spots": next(c for c in charts if c.key == "spots").extra.get("points", []),
            },
            "query": request.GET.urlencode(),
        },
    )


@require_GET
@staff_required
def dashboard_csv(request: HttpRequest, key: str) -> HttpResponse:
    form = ScopeForm(request.GET or None, user=request.user)  # type: ignore[arg-type]
    scope, period, _by = _scope(request, form)
    chart = next((c for c in dashboards.charts(request.user, scope, period) if c.key == key), None)  # type: ignore[arg-type]
    if chart is None:
        raise Http404()
    response = HttpResponse(chart.csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{key}-{period.start}-{period.end}.csv"'
    return response


@require_GET
@staff_required
def board_page(request: HttpRequest) -> HttpResponse:
    form = ScopeForm(request.GET or None, user=request.user)  # type: ignore[arg-type]
    scope, _period, _by = _scope(request, form)
    return render(
        request,
        "assessment/board.html",
        {
            "scope": scope,
            "board": dashboards.board(request.user, scope),  # type: ignore[arg-type]
            "stream": f"/alerts/stream/?board=1&board_after={boardlive.latest()}&after={live.cursor_for(request.user)}",  # type: ignore[arg-type]
            "query": scope.querystring(),
        },
    )


@require_GET
@staff_required
def board_json(request: HttpRequest) -> JsonResponse:
    form = ScopeForm(request.GET or None, user=request.user)  # type: ignore[arg-type]
    scope, _period, _by = _scope(request, form)
    return JsonResponse(dashboards.board(request.user, scope))  # type: ignore[arg-type]
