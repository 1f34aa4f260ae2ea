"""The message contract both wires share: ``{"type": ..., "at": "<ISO-8601 with offset>", ...fields}``.

Each type has a pydantic model (unknown fields are refused: a face image, say, is never stored); each device type
sends the message types in ``SENDS``. docs/devices.md documents every type.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shequ.core import clock

from .models import DeviceType

# 粤B12345, 粤BD12345 (new energy), 使/领 and police plates are rare in a community: letters and digits after the
# province's character and the city letter.
PLATE = re.compile(r"^[\u4e00-\u9fa5][A-Z][A-Z0-9]{4,6}[\u4e00-\u9fa5]?$")
MAX_BYTES = 16 * 1024
FUTURE = timedelta(minutes=10)  # a device clock may run a little fast; far ahead is a broken clock


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    snapshot: str | None = Field(default=None, max_length=500)  # a reference to the vendor's image, never the image


class Heartbeat(_Fields):
    battery: int | None = Field(default=None, ge=0, le=100)
    signal: int | None = Field(default=None, ge=-150, le=0)


class Access(_Fields):
    door: str = Field(default="", max_length=50)
    method: Literal["card", "face", "qr", "password"]
    result: Literal["granted", "denied"] = "granted"
    person_ref: str | None = Field(default=None, max_length=40)  # the person's id in the base, when the vendor knows


class Plate(_Fields):
    plate: str
    direction: Literal["in", "out"]

    @field_validator("plate")
    @classmethod
    def _plate(cls, value: str) -> str:
        value = value.strip().upper()
        if not PLATE.match(value):
            raise ValueError("not a plate number")
        return value


class Smoke(_Fields):
    level: Literal["normal", "alarm", "fault", "test"]


class Gas(_Fields):
    value: float = Field(ge=0, le=100)
    unit: Literal["%LEL"] = "%LEL"
    level: Literal["normal", "alarm", "fault"] | None = None


class Ebike(_Fields):
    detected: bool
    confidence: float | None = Field(default=None, ge=0, le=1)


class FallingObject(_Fields):
    floor: int | None = Field(default=None, ge=-5, le=200)
    confidence: float | None = Field(default=None, ge=0, le=1)


class Reading(_Fields):
    value: float = Field(ge=0, le=1e12)
    unit: Literal["m3", "kWh"]


class Door(_Fields):
    state: Literal["open", "closed"]


class Motion(_Fields):
    detected: bool


class Button(_Fields):
    pressed: Literal[True] = True


TYPES: dict[str, type[_Fields]] = {
    "heartbeat": Heartbeat,
    "access": Access,
    "plate": Plate,
    "smoke": Smoke,
    "gas": Gas,
    "ebike": Ebike,
    "falling_object": FallingObject,
    "reading": Reading,
    "door": Door,
    "motion": Motion,
    "button": Button,
}

# What each device type sends (every device sends heartbeats).
SENDS: dict[str, set[str]] = {
    DeviceType.ACCESS_DOOR: {"access"},
    DeviceType.VEHICLE_GATE: {"plate"},
    DeviceType.SMOKE_DETECTOR: {"smoke"},
    DeviceType.GAS_DETECTOR: {"gas"},
    DeviceType.LIFT_CAMERA: {"ebike"},
    DeviceType.FALLING_OBJECT_CAMERA: {"falling_object"},
    DeviceType.WATER_METER: {"reading"},
    DeviceType.POWER_METER: {"reading"},
    DeviceType.DOOR_MAGNET: {"door"},
    DeviceType.MOTION_SENSOR: {"motion"},
    DeviceType.EMERGENCY_BUTTON: {"button"},
}

# Personal data (L3 in the data dictionary): kept for SHEQU_DEVICE_RETENTION_DAYS, then deleted.
PERSONAL_TYPES = ("access", "plate")


class Refused(Exception):
    """A message refused: ``code`` one of unknown_device, bad_key, bad_signature, bad_json, bad_field."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Parsed:
    type: str
    at: datetime
    data: dict[str, Any]


def _time(value: Any, now: datetime) -> datetime:
    if not isinstance(value, str):
        raise Refused("bad_field", _("“at” must be an ISO-8601 time."), field="at")
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise Refused("bad_field", _("“at” must be an ISO-8601 time."), field="at") from None
    if at.tzinfo is None:
        raise Refused("bad_field", _("“at” needs a time zone offset (e.g. +08:00)."), field="at")
    if at > now + FUTURE:
        raise Refused("bad_field", _("“at” lies in the future: check the device's clock."), field="at")
    return at


def parse(body: bytes | str, device_type: str, *, now: datetime | None = None) -> Parsed:
    """The message checked against its type's fields and the device's type; raises ``Refused``. ``now``: the
    batch's time (one clock reading for all its messages)."""
    if len(body) > MAX_BYTES:
        raise Refused("bad_json", _("The message is larger than %(n)s bytes.") % {"n": MAX_BYTES})
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refused("bad_json", _("The message is not valid JSON.")) from None
    if not isinstance(payload, dict):
        raise Refused("bad_json", _("The message must be a JSON object."))
    kind = payload.pop("type", None)
    if not isinstance(kind, str) or kind not in TYPES:
        raise Refused("bad_field", _("Unknown message type."), field="type")
    if kind != "heartbeat" and kind not in SENDS.get(device_type, set()):
        raise Refused("bad_field", _("This device does not send “%(type)s” messages.") % {"type": kind}, field="type")
    at = _time(payload.pop("at", None), clock.now() if now is None else now)
    try:
        fields = TYPES[kind].model_validate(payload)
    except ValidationError as e:
        first = e.errors()[0]
        name = ".".join(str(p) for p in first.get("loc", ())) or None
        raise Refused(
            "bad_field", _("Wrong field %(field)s: %(problem)s") % {"field": name, "problem": first["msg"]}, field=name
        ) from None
    return Parsed(kind, at, fields.model_dump(exclude_none=True))
