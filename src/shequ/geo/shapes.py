"""Boundary geometry checks shared by the region actions and the GeoJSON import.

Boundaries are stored as GeoJSON geometries in WGS-84 degrees. Set operations run
in degrees; areas are turned into square metres with a local equirectangular
projection (1° of latitude ≈ 111.32 km, 1° of longitude ≈ 111.32 km × cos φ), which
is within a fraction of a percent at grid scale and needs no projection library.
"""

from __future__ import annotations

import math
import re
from typing import Any

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from shequ.core.errors import InvalidInput

M_PER_DEGREE = 111_320.0

# Tolerances, in square metres. Boundaries drawn in different tools rarely share
# vertices exactly: a 0.1 m mismatch along a 500 m edge is a 50 m² sliver. Anything
# below these is treated as digitising noise, not as an overlap, gap or overhang.
OVERLAP_TOLERANCE_M2 = 50.0
GAP_TOLERANCE_M2 = 50.0
OUTSIDE_TOLERANCE_M2 = 50.0

_POLYGON_TYPES = ("Polygon", "MultiPolygon")
_REASON = re.compile(r"^(?P<reason>[^\[]+)(\[(?P<x>[-+\d.eE]+|nan|inf) (?P<y>[-+\d.eE]+|nan|inf)\])?$")


def _reasons() -> dict[str, str]:
    # GEOS's explain_validity reasons, in words a grid administrator can act on.
    return {
        "Self-intersection": _("the boundary crosses itself"),
        "Ring Self-intersection": _("a ring of the boundary touches itself"),
        "Hole lies outside shell": _("a hole lies outside the outer ring"),
        "Holes are nested": _("a hole lies inside another hole"),
        "Interior is disconnected": _("holes cut the area into separate pieces"),
        "Nested shells": _("one part lies inside another part"),
        "Duplicate Rings": _("a ring is repeated"),
        "Too few points in geometry component": _("a ring has too few distinct points"),
        "Invalid Coordinate": _("a coordinate is not a number"),
        "Ring is not closed": _("a ring is not closed"),
    }


def explain(geom: BaseGeometry) -> str:
    """Why a geometry is invalid, in the user's language, with where it happens."""
    raw = explain_validity(geom)
    match = _REASON.match(raw)
    if not match:
        return raw
    reason = _reasons().get(match["reason"], match["reason"])
    if match["x"] and match["y"] and "nan" not in (match["x"], match["y"]):
        return _("%(reason)s (near %(lon)s, %(lat)s)") % {
            "reason": reason,
            "lon": f"{float(match['x']):.6f}",
            "lat": f"{float(match['y']):.6f}",
        }
    return reason


def _as_lists(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_as_lists(v) for v in value]
    return value


def check_boundary(data: Any) -> tuple[BaseGeometry, dict]:
    """A valid Polygon or MultiPolygon in WGS-84 range, as (shapely geometry, normalised GeoJSON).

    Raises ``InvalidInput`` (code ``invalid_boundary``) saying what is wrong.
    """
    if not isinstance(data, dict) or data.get("type") not in _POLYGON_TYPES:
        raise InvalidInput(_("The boundary must be a GeoJSON Polygon or MultiPolygon."), code="invalid_boundary")
    try:
        geom = shape(data)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.GEOSException) as e:
        raise InvalidInput(
            _("The boundary's coordinates cannot be read: %(error)s") % {"error": e}, code="invalid_boundary"
        ) from e
    if geom.is_empty:
        raise InvalidInput(_("The boundary is empty."), code="invalid_boundary")
    if not geom.is_valid:
        raise InvalidInput(
            _("The boundary is not a valid polygon: %(reason)s.") % {"reason": explain(geom)}, code="invalid_boundary"
        )
    min_x, min_y, max_x, max_y = geom.bounds
    if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
        raise InvalidInput(
            _("The boundary lies outside longitude -180..180 / latitude -90..90; coordinates must be WGS-84 degrees."),
            code="invalid_boundary",
        )
    normalised = mapping(geom)
    return geom, {"type": normalised["type"], "coordinates": _as_lists(normalised["coordinates"])}


def hull(data: Any) -> BaseGeometry | None:
    """The convex hull of a geometry that may be invalid, or None if it cannot be read at all."""
    try:
        geom = shape(data).convex_hull
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.GEOSException):
        return None
    return geom if geom.geom_type == "Polygon" and not geom.is_empty else None


def area_m2(geom: BaseGeometry) -> float:
    """Approximate area in square metres of a geometry given in degrees."""
    if geom.is_empty:
        return 0.0
    lat = geom.centroid.y
    return geom.area * M_PER_DEGREE * M_PER_DEGREE * math.cos(math.radians(lat))


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Only the areal parts of a set-operation result (drops shared edges and points)."""
    if geom.is_empty or geom.geom_type in _POLYGON_TYPES:
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in _POLYGON_TYPES]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def pieces(geom: BaseGeometry) -> list[BaseGeometry]:
    """The separate polygons of a (multi)polygon."""
    geom = polygonal(geom)
    if geom.is_empty:
        return []
    return list(geom.geoms) if hasattr(geom, "geoms") else [geom]


def where(geom: BaseGeometry) -> str:
    """A point inside the geometry, as "lon, lat", for messages."""
    p = geom.representative_point()
    return f"{p.x:.6f}, {p.y:.6f}"
