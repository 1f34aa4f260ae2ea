"""The one suggestion for a report, from any channel: category (and alternatives),
level, the place (grid, building), the unit the responsibility list names, and open
events that look like the same incident.

``suggest()`` is what the API, the portal's and the workbench's category pickers,
hotline imports and Open311 call; it reads, never writes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from shequ.access.models import Unit, User
from shequ.core.errors import InvalidInput
from shequ.events import catalog
from shequ.events.models import Category, Level
from shequ.geo import coords
from shequ.geo.index import locate
from shequ.geo.models import Building, Region

from .classifier import classify

MAX_TEXT = 5000
# Words that make a report more urgent than its category's default level.
URGENT_CUES = ("有人受伤", "受伤", "被困", "危险", "紧急", "马上", "赶紧", "冒烟", "小孩", "老人摔", "着火", "救命")


@dataclass
class Suggestion:
    category: dict | None
    alternatives: list[dict]
    level: dict | None
    grid: dict | None = None
    building: dict | None = None
    unit: dict | None = None
    duplicates: list[dict] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)  # buildings, when the address is ambiguous

    def as_dict(self) -> dict:
        return {
            "category": self.category,
            "alternatives": self.alternatives,
            "level": self.level,
            "grid": self.grid,
            "building": self.building,
            "unit": self.unit,
            "duplicates": self.duplicates,
            "candidates": self.candidates,
        }


def _ref(obj) -> dict | None:
    return {"code": obj.code, "name": obj.name} if obj is not None else None


def check_text(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Describe what you see."), code="text_required", field="text")
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            _("The text is longer than %(n)s characters.") % {"n": f"{MAX_TEXT:,}"}, code="text_too_long", field="text"
        )
    return text


def check_point(lon: float | None, lat: float | None, crs: str) -> tuple[float, float] | None:
    """The point in WGS-84, or None when none is given; a half or impossible point is an error."""
    if lon is None and lat is None:
        return None
    if lon is None or lat is None:
        raise InvalidInput(_("Give both longitude and latitude, or neither."), code="bad_coordinates", field="lon")
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput(
            _("Longitude must be between -180 and 180 and latitude between -90 and 90."),
            code="bad_coordinates",
            field="lon",
        )
    try:
        return coords.to_wgs84(lon, lat, crs)
    except ValueError as e:
        raise InvalidInput(_("Unknown coordinate system %(crs)s.") % {"crs": crs}, code="bad_crs", field="crs") from e


def _level_for(category: Category | None, text: str, score: float) -> dict | None:
    levels = list(Level.objects.order_by("rank"))
    if not levels:
        return None
    level = (category.default_level if category else None) or levels[0]
    cue = next((w for w in URGENT_CUES if w in text), None)
    if cue:
        higher = [lv for lv in levels if lv.rank > level.rank]
        if higher:
            level = higher[0]
    return {"code": level.code, "name": level.name, "score": round(score, 4)}


def rank_categories(text: str, k: int = 5) -> list[tuple[Category, float]]:
    """The active leaf categories the model finds likeliest, best first."""
    ranked = classify(text, k + 5)
    found = {c.code: c for c in catalog.leaf_categories().filter(code__in=[s.code for s in ranked])}
    return [(found[s.code], s.score) for s in ranked if s.code in found][:k]


def _route(category: Category, grid: Region) -> Unit | None:
    community = Region.objects.filter(code=grid.code[:12]).first()
    return catalog.route(category, area_code=grid.code, desk=community) if community is not None else None


def unit_for_any(category: Category, grids: list[Region]) -> Unit | None:
    """The unit when the place is one of several grids (an address the base repeats): the one the
    responsibility list names at all of them, or None when they differ (staff choose the building)."""
    units = {_route(category, g) for g in {g.pk: g for g in grids}.values()}
    return units.pop() if len(units) == 1 else None


def suggest(
    *,
    text: str | None,
    user: User | None = None,
    address: str = "",
    lon: float | None = None,
    lat: float | None = None,
    crs: str = coords.CRS.WGS84,
) -> Suggestion:
    text = check_text(text)
    point = check_point(lon, lat, crs)
    address = (address or "").strip()[:200]
    ranked = rank_categories(text)
    best, best_score = ranked[0] if ranked else (None, 0.0)
    out = Suggestion(
        category={"code": best.code, "name": best.name, "score": round(best_score, 4)} if best else None,
        alternatives=[{"code": c.code, "name": c.name, "score": round(s, 4)} for c, s in ranked[1:5]],
        level=_level_for(best, text, best_score),
    )
    grid: Region | None = None
    tied: list[Building] = []  # the buildings an ambiguous address may mean
    if address:
        from .address import resolve

        found = resolve(address)
        grid = found.grid
        tied = found.tied() if grid is None else []
        if found.building is not None:
            out.building = {
                "id": found.building.pk,
                "address": found.building.address,
                "score": round(found.score / 100, 3),
                "dwelling": str(found.dwelling) if found.dwelling else None,
            }
            if point is None:
                point = (found.building.lon, found.building.lat)
        out.candidates = [
            {"id": b.pk, "address": b.address, "grid": _ref(b.grid), "score": round(s / 100, 3)}
            for b, s in found.candidates
        ]
    if grid is None and point is not None:
        located = locate(*point)
        if located is not None:
            grid = Region.objects.filter(pk=located.grid_id).first()
    if grid is not None:
        out.grid = _ref(grid)
        if best is not None:
            out.unit = _ref(_route(best, grid))
    elif tied and best is not None:
        out.unit = _ref(unit_for_any(best, [b.grid for b in tied]))
    if point is not None and best is not None:
        from .duplicates import find

        out.duplicates = [d.as_dict() for d in find(text=text, category=best, lon=point[0], lat=point[1], user=user)]
    return out
