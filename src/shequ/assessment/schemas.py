"""Typed shapes of the assessment API."""

from __future__ import annotations

from datetime import date

from ninja import Field, Schema

from shequ.registry.schemas import Text


class ErrorOut(Schema):
    code: str = Field(description="Machine code, such as not_found or bad_period.")
    message: str = Field(description="What went wrong, in Chinese.")
    field: str | None = None


class ScopeQuery(Schema):
    area: Text(15) = Field("", description="Region code: your area or one inside it (empty: your whole area).")  # type: ignore[valid-type]
    unit: int | None = Field(None, ge=1, le=2**62, description="A unit's figures only (a handler: their own unit).")
    person: int | None = Field(None, ge=1, le=2**62, description="One grid worker's figures.")
    start: date | None = Field(None, description="First day (local date); with end. Default: the last 30 days.")
    end: date | None = Field(None, description="Last day, inclusive.")


class FiguresQuery(ScopeQuery):
    by: Text(20) = Field("", description="Breakdown: day, community, grid, category, channel, unit or person.")  # type: ignore[valid-type]


class BehindQuery(ScopeQuery):
    measure: Text(30) = Field(..., description="The measure to list (a numerator or denominator).")  # type: ignore[valid-type]
    by: Text(20) = ""  # type: ignore[valid-type]
    key: Text(20) = ""  # type: ignore[valid-type]
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(50, ge=1, le=200)


class IndicatorOut(Schema):
    code: str
    name: str
    kind: str = Field(description="count, rate (a fraction) or average (hours).")
    formula: str
    numerator: str
    denominator: str | None
    higher_is_better: bool


class FigureOut(Schema):
    code: str
    name: str
    kind: str
    value: float | None = Field(description="null when the denominator is 0.")
    numerator: int
    denominator: int | None
    formula: str
    events_url: str = Field(description="The list of events (or records) the numerator counts.")
    base_url: str | None = Field(description="The list the denominator counts.")


class RowOut(Schema):
    key: str
    label: str
    figures: list[FigureOut]


class ScopeOut(Schema):
    area: str
    unit: int | None
    person: int | None
    label: str


class FiguresOut(Schema):
    scope: ScopeOut
    start: date
    end: date
    totals: dict[str, int] = Field(description="Every measure summed (docs/indicators.md).")
    figures: list[FigureOut]
    by: str
    rows: list[RowOut]


class BehindEvent(Schema):
    code: str
    status: str
    category: str | None
    description: str
    area_code: str
    reported_at: str


class BehindRecord(Schema):
    source: str
    source_id: int
    day: date
    area_code: str


class BehindOut(Schema):
    measure: str
    count: int
    page: int
    page_size: int
    events: list[BehindEvent]
    records: list[BehindRecord] = Field(description="Work records behind a work measure (collection, spot checks).")
