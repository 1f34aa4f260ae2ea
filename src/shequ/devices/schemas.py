"""The devices API's shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class ErrorOut(Schema):
    code: str = Field(description="unknown_device, bad_key, bad_signature, bad_json, bad_field, not_found ...")
    message: str = Field(description="What went wrong, in Chinese.")
    field: str | None = None


class AcceptedOut(Schema):
    status: str = Field(description="recorded, or duplicate (the same device, type and time was recorded before)")
    id: int | None = None


class MessageOut(Schema):
    type: str
    at: datetime
    received_at: datetime
    wire: str
    data: dict[str, Any]


class DeviceOut(Schema):
    code: str
    name: str
    type: str
    type_name: str
    status: str
    vendor: str
    model: str
    grid: str
    place: str
    owner_kind: str
    owner: str | None
    last_seen_at: datetime | None
    last_message_type: str


class DeviceDetail(DeviceOut):
    messages: list[MessageOut]


class DevicePage(Schema):
    count: int
    items: list[DeviceOut]


class CarParkOut(Schema):
    id: int
    name: str
    address: str
    spaces: int
    occupied: int
    free: int
    updated_at: datetime
