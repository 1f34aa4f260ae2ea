"""The services API's shapes (django-ninja)."""

from __future__ import annotations

from datetime import datetime

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
