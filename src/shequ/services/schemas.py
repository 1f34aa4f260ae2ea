"""The services API's shapes (django-ninja)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema


class AffairOut(Schema):
    code: str
    name: str
    description: str
    time_limit_days: int
    result: str
    review_levels: list[str]
    attachments: list[dict]


class KnownOut(Schema):
    field: str
    label: str
    value: str


class AskOut(Schema):
    name: str = Field(description="the key to answer under in `values`")
    field: str
    label: str
    type: str
    value: str = Field(description="prefilled from the base when it holds a value")
    required: bool
    choices: list[list[str]]


class FormOut(Schema):
    affair: AffairOut
    known: list[KnownOut]
    asks: list[AskOut]
    address: str


class ApplyIn(Schema):
    values: dict[str, str] = Field(default_factory=dict, description="answers by ask name")


class EntryOut(Schema):
    action: str
    to_status: str
    level: str
    note: str
    proxy: bool
    at: datetime


class ApplicationOut(Schema):
    number: str
    affair: str
    affair_name: str
    status: str
    status_label: str
    level: str
    proxy: bool
    overdue: bool
    missing: str
    reason: str
    deadline: datetime | None
    submitted_at: datetime
    certificate_number: str | None = None


class ApplicationDetail(ApplicationOut):
    timeline: list[EntryOut]


class ApplicationPage(Schema):
    count: int
    page: int
    results: list[ApplicationOut]


class StepIn(Schema):
    note: str = Field("", max_length=1000)
    missing: str = Field("", max_length=1000, description="return: what is missing")
    reason: str = Field("", max_length=1000, description="refuse, withdraw: the reason")


class VerifyOut(Schema):
    valid: bool
    reason: str = Field("", description="unknown, altered or revoked when not valid")
    number: str = ""
    title: str = ""
    holder: str = ""
    issuer: str = ""
    date: str = ""


# --- service orders ---------------------------------------------------------------------------------------------


class SlotOut(Schema):
    id: int
    start: datetime
    end: datetime
    capacity: int
    taken: int


class OfferedOut(Schema):
    id: int
    name: str
    provider: str
    provider_kind: str
    description: str
    area: str
    free: bool
    price: Decimal
    price_unit: str
    at_home: bool
    slots: list[SlotOut]


class PlaceIn(Schema):
    beneficiary: int | None = Field(
        None, ge=1, le=2**31 - 1, description="a member of my household (a person id); empty: myself"
    )
    slot: int | None = Field(None, ge=1, le=2**31 - 1, description="one of the service's open slots, when it has slots")
    phone: str = Field("", max_length=20, description="empty: the base's phone")
    request: str = Field("", max_length=500)


class OrderEntryOut(Schema):
    action: str
    from_status: str
    to_status: str
    note: str
    at: datetime


class OrderOut(Schema):
    number: str
    service: str
    provider: str
    status: str
    status_label: str
    slot_start: datetime | None
    slot_end: datetime | None
    price: Decimal
    contact_name: str
    contact_phone: str
    address: str
    request: str
    worker: str
    done_note: str
    rating: int | None
    rating_comment: str
    complaint: str | None = Field(None, description="the event a complaint became (its code)")
    placed_at: datetime


class OrderDetail(OrderOut):
    timeline: list[OrderEntryOut]


class OrderPage(Schema):
    count: int
    page: int
    results: list[OrderOut]


class OrderStepIn(Schema):
    note: str = Field("", max_length=1000, description="accept, complete: a note (complete: what was done)")
    reason: str = Field("", max_length=1000, description="decline, cancel: the reason")
    worker: int | None = Field(None, ge=1, le=2**31 - 1, description="assign: one of the provider's people (a user id)")
    rating: int | None = Field(None, ge=-1000, le=1000, description="confirm: 1-5")
    comment: str = Field("", max_length=500, description="confirm: a comment")
    text: str = Field("", max_length=1000, description="complain: what went wrong")


# --- care -------------------------------------------------------------------------------------------------------


class CareTaskOut(Schema):
    id: int
    person: str = Field(description="the person to visit, as the asker may see the name")
    grid: str
    risk: str
    needs: str
    kind: str
    reason: str
    due: date
    state: str = Field(description="overdue, today or later")
    overdue: bool
    escalated: bool


class VisitIn(Schema):
    wellbeing: str = Field(..., max_length=10, description="good, concern or urgent")
    findings: str = Field("", max_length=2000)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    event_text: str = Field("", max_length=1000, description="a problem found: opens an event")


class VisitOut(Schema):
    id: int
    task: int | None
    wellbeing: str
    location_ok: bool | None
    event: str | None = Field(None, description="the event opened (its code)")
    visited_at: datetime


# --- aid --------------------------------------------------------------------------------------------------------


class FlagOut(Schema):
    department: str
    kind: str
    since: date


class AidOut(Schema):
    id: int
    kind: str
    kind_name: str
    department: str
    recipient: str = Field(description="as the asker may see the name")
    household: bool
    start: date
    end: date | None
    amount: Decimal | None
    note: str
    open_findings: int
    flags: list[FlagOut] = Field(description="for a department: other departments' current aid (no amounts)")


class AidPage(Schema):
    count: int
    page: int
    results: list[AidOut]


class AidIn(Schema):
    id_number: str = Field(..., max_length=18)
    name: str = Field(..., max_length=50)
    kind: str = Field(..., max_length=30, description="an aid kind's code (dibao, tekun ...)")
    department: str = Field("", max_length=30, description="a unit's code; a department's own when empty")
    start: date
    end: date | None = None
    amount: str = Field("", max_length=20, description="yuan")
    household: bool = False
    note: str = Field("", max_length=200)


class FindingOut(Schema):
    id: int
    kind: str
    detail: str


class AidRecorded(Schema):
    item: AidOut
    findings: list[FindingOut]
