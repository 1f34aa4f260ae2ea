"""Writes to the geography: regions, buildings and dwellings.

Every page, API call, command and import creates or edits places through these
functions, which enforce the tree's rules:

- a region's code has the length of its level (``CODE_LENGTH``) and starts with its parent's code;
- a region sits exactly one level below its parent, and only a district has no parent;
- a boundary is a valid Polygon/MultiPolygon in WGS-84, inside the parent's boundary and not
  overlapping a sibling's (both up to the tolerances in ``shapes``);
- a building stands inside its grid.

Refusals raise ``InvalidInput`` with one of the codes: ``bad_level``, ``bad_parent``, ``bad_code``,
``code_mismatch``, ``code_taken``, ``bad_name``, ``invalid_boundary``, ``outside_parent``, ``overlap``,
``bad_grid``, ``bad_coordinates``, ``outside_grid``, ``bad_floor``, ``bad_room``, ``bad_use``,
``dwelling_exists``. The locate index follows every save through the ``post_save`` signal.
"""

from __future__ import annotations

import math
from typing import Any, Final

from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from shequ.core.errors import InvalidInput

from . import coords, shapes
from .models import CODE_LENGTH, PARENT_LEVEL, Building, Dwelling, Region, RegionLevel


class _Unset:
    pass


UNSET: Final = _Unset()

MAX_NAME = 100
MAX_ADDRESS = 200
MAX_FLOORS = 200
LOWEST_FLOOR = -10  # basements


# --- checks shared with the GeoJSON import -------------------------------------------------


def check_level(level: str) -> RegionLevel:
    try:
        return RegionLevel(level)
    except ValueError as e:
        raise InvalidInput(_("Unknown region level: %(level)s.") % {"level": level}, code="bad_level") from e


def check_name(name: str, *, limit: int = MAX_NAME, code: str = "bad_name") -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("A name is required."), code=code)
    if len(name) > limit:
        raise InvalidInput(_("The name is longer than %(limit)d characters.") % {"limit": limit}, code=code)
    return name


def check_code(code: str, level: RegionLevel, parent: Region | None) -> str:
    """A code of the right length for its level, starting with the parent's code."""
    expected = CODE_LENGTH[level]
    if not isinstance(code, str) or not code.isascii() or not code.isdigit() or len(code) != expected:
        raise InvalidInput(
            _("A %(level)s code has %(n)d digits; got %(code)s.") % {"level": level.label, "n": expected, "code": code},
            code="bad_code",
        )
    if level == RegionLevel.DISTRICT:
        if parent is not None:
            raise InvalidInput(_("A district has no parent region."), code="bad_parent")
        return code
    if parent is None or parent.level != PARENT_LEVEL[level]:
        raise InvalidInput(
            _("A %(level)s belongs to a %(parent)s.") % {"level": level.label, "parent": PARENT_LEVEL[level].label},
            code="bad_parent",
        )
    if not code.startswith(parent.code):
        raise InvalidInput(
            _("Code %(code)s does not start with its parent's code %(parent)s.")
            % {"code": code, "parent": parent.code},
            code="code_mismatch",
        )
    return code


def geometry(region: Region) -> BaseGeometry | None:
    return shape(region.boundary) if region.boundary else None


def _check_placement(geom: BaseGeometry, *, parent: Region | None, siblings: Any, code: str) -> None:
    """Inside the parent (up to the tolerance) and clear of the siblings."""
    if parent is not None and (parent_geom := geometry(parent)) is not None:
        overhang = shapes.area_m2(shapes.polygonal(geom.difference(parent_geom)))
        if overhang > shapes.OUTSIDE_TOLERANCE_M2:
            raise InvalidInput(
                _("The boundary extends %(area).0f m² outside %(parent)s.") % {"area": overhang, "parent": parent},
                code="outside_parent",
            )
    for sibling in siblings.exclude(code=code).filter(boundary__isnull=False):
        overlap = shapes.area_m2(shapes.polygonal(geom.intersection(shape(sibling.boundary))))
        if overlap > shapes.OVERLAP_TOLERANCE_M2:
            raise InvalidInput(
                _("The boundary overlaps %(other)s by %(area).0f m².") % {"other": sibling, "area": overlap},
                code="overlap",
            )


def center_of(geom: BaseGeometry) -> tuple[float, float]:
    """The centroid when it falls inside (where a map label belongs), else a point surely inside."""
    c = geom.centroid
    if not geom.contains(c):
        c = geom.representative_point()
    return c.x, c.y


# --- regions --------------------------------------------------------------------------------


@transaction.atomic
def create_region(*, code: str, name: str, level: str, parent: Region | None, boundary: dict | None = None) -> Region:
    """A new region in the tree, placed by the rules in this module's docstring."""
    level = check_level(level)
    name = check_name(name)
    check_code(code, level, parent)
    if Region.objects.filter(code=code).exists():
        raise InvalidInput(_("Region code %(code)s is already in use.") % {"code": code}, code="code_taken")
    region = Region(code=code, name=name, level=level, parent=parent)
    if boundary is not None:
        geom, region.boundary = shapes.check_boundary(boundary)
        siblings = Region.objects.filter(parent=parent, level=level)
        _check_placement(geom, parent=parent, siblings=siblings, code=code)
        region.center_lon, region.center_lat = center_of(geom)
    region.save()
    return region


@transaction.atomic
def update_region(region: Region, *, name: str | _Unset = UNSET, boundary: dict | _Unset | None = UNSET) -> Region:
    """Rename a region or redraw (or clear, with ``None``) its boundary. Code, level and parent stay."""
    region = Region.objects.select_for_update(of=("self",)).select_related("parent").get(pk=region.pk)
    if not isinstance(name, _Unset):
        region.name = check_name(name)
    if boundary is None:
        region.boundary = region.center_lon = region.center_lat = None
    elif not isinstance(boundary, _Unset):
        geom, region.boundary = shapes.check_boundary(boundary)
        siblings = Region.objects.filter(parent=region.parent_id, level=region.level)
        _check_placement(geom, parent=region.parent, siblings=siblings, code=region.code)
        region.center_lon, region.center_lat = center_of(geom)
    region.save()
    return region


# --- buildings and dwellings ----------------------------------------------------------------


def _check_point(lon: float, lat: float) -> tuple[float, float]:
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError) as e:
        raise InvalidInput(_("Longitude and latitude must be numbers."), code="bad_coordinates") from e
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput(_("Longitude or latitude is out of range."), code="bad_coordinates")
    return lon, lat


@transaction.atomic
def create_building(
    *,
    grid: Region,
    name: str,
    address: str,
    lon: float,
    lat: float,
    floors: int = 1,
    crs: str = coords.CRS.WGS84,
) -> Building:
    """A building standing inside its grid; ``crs`` converts a phone map's GCJ-02/BD-09 point."""
    if grid.level != RegionLevel.GRID:
        raise InvalidInput(_("A building belongs to a grid."), code="bad_grid")
    name = check_name(name)
    address = check_name(address, limit=MAX_ADDRESS)
    lon, lat = _check_point(lon, lat)
    try:
        lon, lat = coords.to_wgs84(lon, lat, crs)
    except ValueError as e:
        raise InvalidInput(_("Unknown coordinate system: %(crs)s.") % {"crs": crs}, code="bad_coordinates") from e
    if not isinstance(floors, int) or not 1 <= floors <= MAX_FLOORS:
        raise InvalidInput(_("Floors must be between 1 and %(n)d.") % {"n": MAX_FLOORS}, code="bad_floor")
    grid_geom = geometry(grid)
    # covers(): a point exactly on the grid's edge still counts as inside.
    if grid_geom is not None and not grid_geom.covers(Point(lon, lat)):
        raise InvalidInput(
            _("The point %(lon).6f, %(lat).6f is outside grid %(grid)s.") % {"lon": lon, "lat": lat, "grid": grid},
            code="outside_grid",
        )
    return Building.objects.create(grid=grid, name=name, address=address, lon=lon, lat=lat, floors=floors)


@transaction.atomic
def create_dwelling(
    *, building: Building, floor: int, room: str, entrance: str = "", use: str = Dwelling.Use.HOME
) -> Dwelling:
    """One dwelling or premises; a room number is unique within a building's entrance."""
    room = check_name(room, limit=20, code="bad_room")
    entrance = (entrance or "").strip()
    if len(entrance) > 20:
        raise InvalidInput(_("The entrance is longer than 20 characters."), code="bad_room")
    if not isinstance(floor, int) or not LOWEST_FLOOR <= floor <= building.floors or floor == 0:
        raise InvalidInput(
            _("Floor must be between %(low)d and %(high)d, and not 0.")
            % {"low": LOWEST_FLOOR, "high": building.floors},
            code="bad_floor",
        )
    if use not in Dwelling.Use.values:
        raise InvalidInput(_("Unknown use: %(use)s.") % {"use": use}, code="bad_use")
    # Lock the building so two concurrent creations of the same room cannot both pass the check.
    Building.objects.select_for_update().filter(pk=building.pk).first()
    if Dwelling.objects.filter(building=building, entrance=entrance, room=room).exists():
        raise InvalidInput(
            _("Room %(room)s already exists in %(building)s.") % {"room": room, "building": building},
            code="dwelling_exists",
        )
    return Dwelling.objects.create(building=building, entrance=entrance, floor=floor, room=room, use=use)
