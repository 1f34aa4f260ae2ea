"""Typed shapes of the events API: what comes in (one schema per loop action) and
what goes out (catalog rows, list rows, the detail with its timeline)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema

from shequ.geo.coords import CRS

# Literal types rather than free strings, so the OpenAPI spec lists the values.
StatusFilter = Literal["open", "reported", "rejected", "accepted", "dispatched", "handled", "closed"]
ChannelName = Literal["grid_worker", "resident", "hotline", "device", "department"]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]


# --- catalog ---------------------------------------------------------------------------------


class CategoryOut(Schema):
    code: str
    name: str
    parent: str | None = Field(None, description="The parent category's code; null at the top of the tree.")
    leaf: bool = Field(description="Only leaf categories can be chosen for an event.")
    description: str
    keywords: str
    default_level: str | None


class LevelOut(Schema):
    code: str
    name: str
    rank: int
    default_amount: int
    default_unit: str


class UnitOut(Schema):
    code: str
    name: str
    region: str = Field(description="The code of the region the unit sits at.")
    phone: str


class Ref(Schema):
    """A coded thing by its code and display name (region, category, level, unit)."""

    code: str
    name: str


# --- reading events ------------------------------------------------------------------------


class EventListQuery(Schema):
    status: StatusFilter | None = Field(None, description="A status, or `open` for every open status.")
    category: str = Field("", max_length=20, description="A category code: it and everything under it.")
    area: str = Field("", max_length=15, description="A region code: it and everything inside it.")
    channel: ChannelName | None = None
    overdue: bool | None = None
    supervised: bool | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str = Field("", max_length=100, description="Text in the code, description or address.")
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(20, ge=1, le=100)


class EventRow(Schema):
    code: str
    status: str
    status_label: str
    channel: str
    category: Ref | None
    level: Ref
    description: str
    address: str
    area_code: str
    lon: float | None
    lat: float | None
    unit: Ref | None
    deadline: datetime | None
    overdue: bool
    supervised: bool
    reported_at: datetime
    updated_at: datetime


class EventPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[EventRow]


class PhotoOut(Schema):
    url: str
    stage: str
    content_type: str
    size: int
    created_at: datetime


class TimelineOut(Schema):
    action: str
    actor: str | None = Field(description="The acting person's display name; null for the system.")
    from_status: str
    to_status: str
    unit: Ref | None
    note: str
    at: datetime


class EventDetail(EventRow):
    channel_label: str
    grid: Ref | None
    community: Ref
    street: Ref
    desk: Ref = Field(description="The dispatch desk that owns the event now.")
    rework_count: int
    return_count: int
    extension_hours: float | None
    extension_reason: str
    result: str
    rating: int | None
    rating_comment: str
    dispatched_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    reporter_name: str | None = Field(description="Shown to staff and to the reporter only.")
    reporter_phone: str | None = Field(description="Shown to staff and to the reporter only.")
    token: str | None = Field(description="The tracking token (Open311 `tokens/`); shown to the reporter only.")
    photos: list[PhotoOut]
    timeline: list[TimelineOut]
    actions: list[str] = Field(description="The loop actions this user may take now (the POST endpoints below).")
    intake_actions: list[str] = Field(
        default_factory=list, description="The intake actions this user may take now: merge, recategorize."
    )


# --- writing: report and the loop actions ----------------------------------------------------


class ReportIn(Schema):
    description: str = Field(min_length=1, max_length=2000)
    category: str | None = Field(None, max_length=20, description="A leaf category code.")
    level: str | None = Field(None, max_length=20, description="A level code; default: the category's.")
    lon: Lon | None = None
    lat: Lat | None = None
    crs: CRS = Field(CRS.WGS84, description="The coordinates' system: wgs84, gcj02 (Amap, WeChat) or bd09 (Baidu).")
    region: str | None = Field(None, max_length=15, description="A grid or community code, when there is no point.")
    address: str = Field("", max_length=200)
    reporter_name: str = Field("", max_length=50)
    reporter_phone: str = Field("", max_length=30)
    source_ref: str = Field("", max_length=64, description="The caller's own id: a retry returns the same event.")
    publish_description: bool = Field(
        False, description="The reporter agrees that the description may appear on the open Open311 feed."
    )


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class AcceptIn(NoteIn):
    category: str | None = Field(None, max_length=20, description="Set or correct the leaf category.")
    level: str | None = Field(None, max_length=20)


class ReasonIn(Schema):
    reason: str = Field(max_length=2000)


class MergeIn(NoteIn):
    into: str = Field(min_length=1, max_length=40, description="The code of the open event this one duplicates.")


class RecategorizeIn(NoteIn):
    category: str = Field(min_length=1, max_length=20, description="The new leaf category's code.")


class DispatchIn(NoteIn):
    unit: str | None = Field(None, max_length=30, description="A unit code; default: the responsibility list's.")


class ExtensionRequestIn(ReasonIn):
    hours: float = Field(allow_inf_nan=False, description="Working hours asked for (1-720).")


class ExtensionDecisionIn(NoteIn):
    approve: bool


class HandleIn(Schema):
    result: str = Field(max_length=2000)


class VerifyIn(NoteIn):
    passed: bool


class RateIn(Schema):
    score: int = Field(description="1 (very unhappy) to 5 (very happy).")
    comment: str = Field("", max_length=500)
    reopen_if_low: bool = False


class SuperviseIn(Schema):
    note: str = Field(max_length=2000)
