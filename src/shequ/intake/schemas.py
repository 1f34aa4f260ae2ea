from __future__ import annotations

from ninja import Field, Schema

from shequ.geo.coords import CRS


class SuggestIn(Schema):
    text: str = Field(..., description="The report in the reporter's own words (at most 5,000 characters).")
    address: str = Field("", description="A free Chinese address, optional.")
    lon: float | None = Field(None, description="Longitude, optional.")
    lat: float | None = Field(None, description="Latitude, optional.")
    crs: CRS = Field(CRS.WGS84, description="The coordinates' system: wgs84, gcj02 or bd09.")
    coord_system: CRS | None = Field(None, description="Another name for crs.")


class ScoredRef(Schema):
    code: str
    name: str
    score: float


class Ref(Schema):
    code: str
    name: str


class BuildingOut(Schema):
    id: int
    address: str
    score: float
    dwelling: str | None = None


class CandidateOut(Schema):
    id: int
    address: str
    grid: Ref | None
    score: float


class DuplicateOut(Schema):
    code: str
    score: float
    distance_m: float
    summary: str


class SuggestOut(Schema):
    category: ScoredRef | None
    alternatives: list[ScoredRef]
    level: ScoredRef | None
    grid: Ref | None
    building: BuildingOut | None
    unit: Ref | None
    duplicates: list[DuplicateOut]
    candidates: list[CandidateOut]
