"""/api/assessment/: the indicators' definitions, the figures of a scope, and the events behind any figure.

Thin: ``queries.scope_for`` decides what the caller may see (404 otherwise), ``figures`` computes."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from .figures import Figure, Figures, figures_for, parse_period
from .indicators import INDICATORS, MEASURE, Kind
from .queries import Drill, events_behind, facts_behind, scope_for
from .schemas import BehindOut, BehindQuery, ErrorOut, FiguresOut, FiguresQuery, IndicatorOut

router = Router(tags=["assessment"])
ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
API_BEHIND = "/api/assessment/events?"


def indicator_out() -> list[dict]:
    return [
        {
            "code": i.code,
            "name": str(i.name),
            "kind": i.kind.value,
            "formula": i.formula(),
            "numerator": i.numerator,
            "denominator": i.denominator if i.kind != Kind.COUNT else None,
            "higher_is_better": i.higher_is_better,
        }
        for i in INDICATORS
    ]


@router.get("/indicators", response={200: list[IndicatorOut], **ERRORS}, summary="Every indicator and its formula")
def indicators(request: HttpRequest) -> list[dict]:
    return indicator_out()


def figure_out(f: Figure) -> dict:
    return {
        **{k: getattr(f, k) for k in ("code", "name", "kind", "value", "numerator", "denominator", "formula")},
        "events_url": API_BEHIND + f.numerator_query,
        "base_url": API_BEHIND + f.denominator_query if f.denominator_query else None,
    }


def figures_out(found: Figures) -> dict:
    s = found.scope
    return {
        "scope": {"area": s.area, "unit": s.unit, "person": s.person, "label": s.label},
        "start": found.period.start,
        "end": found.period.end,
        "totals": dict(found.totals),
        "figures": [figure_out(f) for f in found.figures],
        "by": found.by,
        "rows": [{"key": r.key, "label": r.label, "figures": [figure_out(f) for f in r.figures]} for r in found.rows],
    }


@router.get(
    "/figures",
    response={200: FiguresOut, **ERRORS},
    summary="The indicators of an area, a unit or a grid worker over a period",
    description=(
        "Computed from the rollups of the events' timelines (never from counters). A community sees its own area; "
        "a unit's handlers their unit; a grid worker their grid and their own figures. Every figure has the URL of "
        "the events behind it."
    ),
)
def figures(request: HttpRequest, params: Query[FiguresQuery]) -> dict:
    scope = scope_for(request.auth, area=params.area, unit=params.unit, person=params.person)  # type: ignore[arg-type]
    period = parse_period(params.start, params.end)
    return figures_out(figures_for(scope, period, by=params.by))


@router.get(
    "/events",
    response={200: BehindOut, **ERRORS},
    summary="The events (or work records) behind a figure",
    description="What a measure counts in a scope and period, optionally one breakdown key: check any number.",
)
def behind(request: HttpRequest, params: Query[BehindQuery]) -> dict:
    user = request.auth
    scope = scope_for(user, area=params.area, unit=params.unit, person=params.person)  # type: ignore[arg-type]
    period = parse_period(params.start, params.end)
    drill = Drill(params.measure, by=params.by, key=params.key)
    start = (params.page - 1) * params.page_size
    if MEASURE[drill.measure].events:
        qs = events_behind(user, scope, period, drill).select_related("category")  # type: ignore[arg-type]
        count = qs.count()
        events = [
            {
                "code": e.code,
                "status": e.status,
                "category": e.category.code if e.category else None,
                "description": e.description,
                "area_code": e.area_code,
                "reported_at": e.reported_at.isoformat(),
            }
            for e in qs[start : start + params.page_size]
        ]
        records: list[dict] = []
    else:
        facts = facts_behind(scope, period, drill)
        count, events = facts.count(), []
        records = list(facts.values("source", "source_id", "day", "area_code")[start : start + params.page_size])
    return {
        "measure": drill.measure,
        "count": count,
        "page": params.page,
        "page_size": params.page_size,
        "events": events,
        "records": records,
    }
