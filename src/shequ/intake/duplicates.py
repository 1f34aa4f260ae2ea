"""Open events that look like the same incident: near in place and time (windows per
category group, ``SHEQU_INTAKE_DUPLICATE_WINDOWS``), scored by text similarity, place
and category.

Residents see only events of the grid they report in, and no personal data: a
duplicate shown to a resident is its code, category and status, never its text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from rapidfuzz import fuzz

from shequ.access.models import Role, User
from shequ.core import clock
from shequ.events.models import OPEN_STATUSES, Category, Event
from shequ.events.queries import events_for
from shequ.geo.index import locate

from .features import normalise

# Weights of the score (text, place, same category); fixed by hand, see docs/intelligence.md.
W_TEXT, W_PLACE, W_CATEGORY = 0.55, 0.25, 0.20
THRESHOLD = 0.55
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Duplicate:
    code: str
    score: float
    distance_m: float
    summary: str

    def as_dict(self) -> dict:
        return {"code": self.code, "score": self.score, "distance_m": self.distance_m, "summary": self.summary}


def window_for(category: Category | None) -> tuple[float, float]:
    """(metres, hours) for the category's group; ``default`` otherwise."""
    windows = settings.SHEQU_INTAKE_DUPLICATE_WINDOWS
    group = category.code[:2] if category else ""
    metres, hours = windows.get(group, windows["default"])
    return float(metres), float(hours)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon2 - lon1) * METRES_PER_DEGREE * math.cos(math.radians((lat1 + lat2) / 2))
    dy = (lat2 - lat1) * METRES_PER_DEGREE
    return math.hypot(dx, dy)


def text_similarity(a: str, b: str) -> float:
    a, b = normalise(a), normalise(b)
    return max(fuzz.ratio(a, b), fuzz.partial_ratio(a, b) * 0.9, fuzz.token_set_ratio(a, b)) / 100.0


def pair_score(
    *,
    text: str,
    category: Category | None,
    other_text: str,
    other_category_id: int | None,
    metres: float,
    radius: float,
) -> float:
    same = 1.0 if category is not None and other_category_id == category.pk else 0.0
    place = max(0.0, 1.0 - metres / radius)
    return W_TEXT * text_similarity(text, other_text) + W_PLACE * place + W_CATEGORY * same


def find(
    *,
    text: str,
    category: Category | None,
    lon: float,
    lat: float,
    user: User | None,
    exclude: int | None = None,
    limit: int = 5,
) -> list[Duplicate]:
    radius, hours = window_for(category)
    dlat = radius / METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    rows = Event.objects.filter(
        status__in=OPEN_STATUSES,
        reported_at__gte=clock.now() - timedelta(hours=hours),
        lon__range=(lon - dlon, lon + dlon),
        lat__range=(lat - dlat, lat + dlat),
    )
    resident = user is not None and user.role == Role.RESIDENT
    if user is not None and not resident:
        rows = rows.filter(pk__in=events_for(user).values("pk"))
    if resident:
        here = locate(lon, lat)
        rows = rows.filter(area_code=here.grid_code) if here else rows.none()
    if exclude:
        rows = rows.exclude(pk=exclude)
    out = []
    for ev in rows.select_related("category")[:200]:
        if ev.lon is None or ev.lat is None:
            continue
        metres = distance_m(lon, lat, ev.lon, ev.lat)
        if metres > radius:
            continue
        score = pair_score(
            text=text,
            category=category,
            other_text=ev.description,
            other_category_id=ev.category_id,
            metres=metres,
            radius=radius,
        )
        if score < THRESHOLD:
            continue
        name = ev.category.name if ev.category else ""
        summary = f"{name}（{ev.get_status_display()}）" if resident else ev.description[:60]
        out.append(Duplicate(ev.code, round(score, 3), round(metres, 1), summary))
    out.sort(key=lambda d: -d.score)
    return out[:limit]
