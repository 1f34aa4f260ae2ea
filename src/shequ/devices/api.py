"""The devices API: message ingestion over HTTP (per-device key, optional HMAC) and scoped reads.

``POST /api/devices/{code}/messages`` is the HTTP wire of the one ingestion contract (``ingest.py``); the MQTT
listener is the other. It takes no user authentication: the device's own key (header ``X-Device-Key``) and, for
vendors that sign, ``X-Device-Signature: sha256=<hex HMAC-SHA256 of the body>``.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from shequ.access.models import User

from . import queries
from .ingest import KEY_HEADER, SIGNATURE_HEADER, Incoming, ingest
from .messages import TYPES
from .models import Device
from .schemas import AcceptedOut, CarParkOut, DeviceDetail, DevicePage, ErrorOut, MessageOut

router = Router(tags=["devices"])

REFUSAL_STATUS = {"unknown_device": 404, "bad_key": 401, "bad_signature": 401, "bad_json": 400, "bad_field": 422}
ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}

MESSAGE_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["type", "at"],
                "properties": {
                    "type": {"type": "string", "enum": sorted(TYPES)},
                    "at": {"type": "string", "format": "date-time"},
                },
                "additionalProperties": True,
            },
            "example": {"type": "smoke", "at": "2026-12-07T08:00:00+08:00", "level": "alarm"},
        }
    },
}


@router.post(
    "/{code}/messages",
    auth=None,
    response={202: AcceptedOut, **ERRORS},
    summary="A device sends a message",
    description=(
        "The body is one JSON message: {type, at, ...the type's fields} (docs/devices.md lists every type). "
        "Send the device's key in X-Device-Key; a device with a signing secret also sends X-Device-Signature: "
        "sha256=<hex HMAC-SHA256 of the body>. The same device, type and time twice is recorded once (duplicate). "
        "Refusals: 404 unknown_device, 401 bad_key / bad_signature, 400 bad_json, 422 bad_field; nothing is "
        "recorded for them beyond a count per device."
    ),
    openapi_extra={"requestBody": MESSAGE_BODY},
)
def post_message(request: HttpRequest, code: str):
    result = ingest(
        Incoming(
            code=code,
            body=request.body,
            wire="http",
            key=request.headers.get(KEY_HEADER),
            signature=request.headers.get(SIGNATURE_HEADER),
        )
    )
    if result.status == "refused":
        body = {"code": result.code, "message": result.message, "field": result.field}
        return Status(REFUSAL_STATUS[result.code], body)
    return Status(202, {"status": result.status, "id": result.message_id})


def _device(device: Device) -> dict:
    return {
        "code": device.code,
        "name": device.name,
        "type": device.type,
        "type_name": device.get_type_display(),
        "status": device.status,
        "vendor": device.vendor,
        "model": device.model,
        "grid": device.area_code,
        "place": device.place,
        "owner_kind": device.owner_kind,
        "owner": device.owner_unit.name if device.owner_unit else None,
        "last_seen_at": device.last_seen_at,
        "last_message_type": device.last_message_type,
    }


@router.get("/car-parks", response=list[CarParkOut], summary="Car parks and their free spaces")
def car_parks(request: HttpRequest):
    user: User = request.auth  # type: ignore[attr-defined]
    return [
        {**{f: getattr(p, f) for f in ("id", "name", "address", "spaces", "occupied", "updated_at")}, "free": p.free}
        for p in queries.car_parks_for(user)[:500]
    ]


@router.get("", response=DevicePage, summary="Devices in your area")
def device_list(
    request: HttpRequest,
    q: str = "",
    type: str = "",
    status: str = "",
    grid: str = "",
    offset: Query[int] = 0,
    limit: Query[int] = 50,
):
    user: User = request.auth  # type: ignore[attr-defined]
    found = queries.search(queries.devices_for(user), q=q, type=type, status=status, grid=grid)
    offset, limit = min(max(offset, 0), 10**6), min(max(limit, 1), 200)
    return {"count": found.count(), "items": [_device(d) for d in found[offset : offset + limit]]}


@router.get("/{code}", response={200: DeviceDetail, 404: ErrorOut}, summary="A device and its recent messages")
def device_detail(request: HttpRequest, code: str):
    user: User = request.auth  # type: ignore[attr-defined]
    device = queries.get_device_for(user, code)
    messages = [
        MessageOut(type=m.type, at=m.at, received_at=m.received_at, wire=m.wire, data=queries.shown_data(m, user))
        for m in queries.recent_messages(device)
    ]
    return {**_device(device), "messages": messages}
