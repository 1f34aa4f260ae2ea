"""``POST /api/intake/suggest``: the suggestion for a report (docs/intelligence.md)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from .schemas import SuggestIn, SuggestOut
from .suggest import suggest

router = Router(tags=["intake"])


@router.post("/suggest", response={200: SuggestOut}, summary="Suggest category, level, place, unit and duplicates")
def suggest_endpoint(request: HttpRequest, body: SuggestIn):
    user = request.user if request.user.is_authenticated else None
    return suggest(
        text=body.text,
        user=user,  # type: ignore[arg-type]
        address=body.address,
        lon=body.lon,
        lat=body.lat,
        crs=body.coord_system or body.crs,
    ).as_dict()
