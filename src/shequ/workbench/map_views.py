"""The map page and its two GeoJSON feeds, both scoped like every other read."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from shequ.access.decorators import staff_required
from shequ.access.scopes import regions_for
from shequ.events.models import OPEN_STATUSES
from shequ.events.queries import events_for
from shequ.geo.models import RegionLevel

# Browsers stay responsive with a few thousand circle markers; beyond that use the list.
MAX_MARKERS = 2000


@require_GET
@staff_required
def map_page(request: HttpRequest) -> HttpResponse:
    return render(request, "workbench/map.html", {"max_markers": MAX_MARKERS})


@require_GET
@staff_required
def regions_json(request: HttpRequest) -> JsonResponse:
    """Community outlines and grid polygons of the user's area, as a GeoJSON FeatureCollection."""
    rows = (
        regions_for(request.user)
        .filter(level__in=(RegionLevel.COMMUNITY, RegionLevel.GRID), boundary__isnull=False)
        .order_by("code")
        .values_list("code", "name", "level", "boundary")
    )
    features = [
        {"type": "Feature", "geometry": boundary, "properties": {"code": code, "name": name, "level": level}}
        for code, name, level, boundary in rows
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@require_GET
@staff_required
def events_json(request: HttpRequest) -> JsonResponse:
    """Open events with a location, newest first, at most MAX_MARKERS; ``total`` says how many there are."""
    qs = events_for(request.user).filter(status__in=OPEN_STATUSES, lon__isnull=False, lat__isnull=False)
    total = qs.count()
    rows = qs.select_related("category").order_by("-reported_at", "-id")[:MAX_MARKERS]
    detail = reverse("event_detail", args=["__code__"])
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [e.lon, e.lat]},
            "properties": {
                "code": e.code,
                "status": e.status,
                "status_label": e.get_status_display(),
                "category": e.category.name if e.category else "",
                "description": e.description[:60],
                "overdue": e.overdue,
                "reported_at": timezone.localtime(e.reported_at).strftime("%Y-%m-%d %H:%M"),
                "url": detail.replace("__code__", e.code),
            },
        }
        for e in rows
    ]
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "features": features,
            "total": total,
            "shown": len(features),
            "capped": total > len(features),
        }
    )
