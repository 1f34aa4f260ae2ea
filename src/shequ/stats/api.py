"""/api/stats/: counts with small cells suppressed, and yes/no membership checks (可用不可见).

Thin: ``actions`` decides who may ask, what is shown and what is audited."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router

from .actions import CountQuery, answer_counts, check_membership, parse_by
from .lattice import ALL, HIDDEN, SMALL
from .schemas import CountsOut, CountsQuery, ErrorOut, MembershipIn, MembershipOut

router = Router(tags=["stats"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
SUPPRESSED = {SMALL: "small", HIDDEN: "complementary"}


def _dim(value: str) -> str | None:
    return None if value == ALL else value


@router.get(
    "/counts",
    response={200: CountsOut, **ERRORS},
    summary="Counts of people living now, small cells suppressed",
    description=(
        'Counts by area (child regions), tag, age band and residency. Counts of 1 to 4 are shown as "<5"; a cell '
        'is withheld ("x") when, with what you were shown before in the window, it would let you work out a '
        "small count. The same question within the window gets the same answer. Department data users ask about "
        "their own area; each query is recorded in the audit trail with its purpose."
    ),
)
def counts(request: HttpRequest, params: Query[CountsQuery]) -> dict:
    q = CountQuery(
        area=params.area,
        by=parse_by(params.by),
        tag=params.tag,
        residency=params.residency,
        purpose=params.purpose,
    )
    answer = answer_counts(request.auth, q, request=request)  # type: ignore[arg-type]
    region = answer.region
    return {
        "area": {"code": region.code, "name": region.name, "level": region.level},
        "by": list(q.by),
        "tag": q.tag or None,
        "residency": q.residency or None,
        "window_days": settings.SHEQU_STATS_WINDOW_DAYS,
        "suppressed": answer.suppressed,
        "cells": [
            {
                "area": cell.area,
                "area_name": answer.names.get(cell.area, ""),
                "tag": _dim(cell.tag),
                "age_band": _dim(cell.age_band),
                "residency": _dim(cell.residency),
                "value": shown,
                "count": None if shown in SUPPRESSED else int(shown),
                "suppressed": SUPPRESSED.get(shown),
            }
            for cell, shown in answer.cells
        ],
    }


@router.post(
    "/membership",
    response={200: MembershipOut, **ERRORS, 429: ErrorOut},
    summary="Does the holder of this ID number live in the area? Yes or no",
    description=(
        "Answers only true or false, never the record. The ID number is looked up through its keyed blind index "
        "and never written to the audit trail in clear. Limited per department per hour."
    ),
)
def membership(request: HttpRequest, body: MembershipIn) -> dict:
    member = check_membership(
        request.auth,  # type: ignore[arg-type]
        id_number=body.id_number,
        area=body.area,
        purpose=body.purpose,
        request=request,
    )
    return {"member": member}
