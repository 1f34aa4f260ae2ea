"""The region tree and point location over the API.

Who sees which regions: area roles (grid workers, community staff, dispatchers)
see their area and everything inside it (``access.scopes.regions_for``);
administrators see everything. Residents, unit handlers and external systems
have no area, yet must say where a problem is, so they see the public
directory: every street, community and grid with its name and boundary (the
division of a district into grids is published information, not personal data).
"""

from __future__ import annotations

from typing import Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from shequ.access.models import User
from shequ.access.scopes import area_prefix, regions_for
from shequ.core.errors import NotFound
from shequ.geo import coords
from shequ.geo.index import locate as locate_point
from shequ.geo.models import Region

router = Router(tags=["geo"])

LevelName = Literal["district", "street", "community", "grid"]


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None = Field(description="The parent region's code.")
    center_lon: float | None
    center_lat: float | None


class RegionDetail(RegionOut):
    full_name: str = Field(description="District / street / community / grid names.")
    boundary: dict | None = Field(description="GeoJSON geometry in WGS-84.")


class RegionQuery(Schema):
    level: LevelName | None = None
    parent: str = Field("", max_length=15, description="Only the direct children of this region code.")
    q: str = Field("", max_length=100, description="Part of the name, or the start of the code.")


class LocateQuery(Schema):
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    crs: coords.CRS = Field(coords.CRS.WGS84, description="wgs84, gcj02 (Amap, WeChat) or bd09 (Baidu)")


class RegionRef(Schema):
    code: str
    name: str


class Location(Schema):
    lon: float = Field(description="WGS-84 longitude.")
    lat: float = Field(description="WGS-84 latitude.")
    grid: RegionRef
    community: RegionRef | None
    street: RegionRef | None


def visible_regions(user: User) -> QuerySet[Region]:
    if area_prefix(user) is None:
        return Region.objects.all()
    return regions_for(user)


def _row(region: Region) -> dict:
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "parent": region.parent.code if region.parent_id else None,
        "center_lon": region.center_lon,
        "center_lat": region.center_lat,
    }


@router.get("/regions", response=list[RegionOut], summary="List regions")
def list_regions(request: HttpRequest, filters: Query[RegionQuery]) -> list[dict]:
    qs = visible_regions(request.user).select_related("parent")
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.parent:
        qs = qs.filter(parent__code=filters.parent)
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(code__startswith=filters.q))
    return [_row(r) for r in qs.order_by("code")]


@router.get("/regions/{code}", response=RegionDetail, summary="One region with its boundary")
def get_region(request: HttpRequest, code: str) -> dict:
    region = visible_regions(request.user).select_related("parent").filter(code=code).first()
    if region is None:
        raise NotFound()
    return {**_row(region), "full_name": region.full_name, "boundary": region.boundary}


@router.get("/locate", response=Location, summary="The grid, community and street at a point")
def locate(request: HttpRequest, point: Query[LocateQuery]) -> dict:
    lon, lat, crs = point.lon, point.lat, point.crs
    wgs_lon, wgs_lat = coords.to_wgs84(lon, lat, crs)
    found = locate_point(wgs_lon, wgs_lat)
    if found is None:
        raise NotFound(_("This location is outside the district's grids."), code="outside_area")
    by_id = Region.objects.in_bulk([i for i in (found.grid_id, found.community_id, found.street_id) if i])

    def ref(pk: int | None) -> dict | None:
        region = by_id.get(pk) if pk else None
        return {"code": region.code, "name": region.name} if region else None

    return {
        "lon": wgs_lon,
        "lat": wgs_lat,
        "grid": ref(found.grid_id),
        "community": ref(found.community_id),
        "street": ref(found.street_id),
    }
