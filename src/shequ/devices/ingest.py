"""Ingestion: the one contract both wires (HTTP and MQTT) go through.

    ingest_batch(items) -> one Result per item, all in one transaction:
      unknown_device | bad_key | bad_signature (HTTP only) | bad_json | bad_field  -> refused, counted per device,
                                                                                    nothing else written
      (device, type, at) already recorded                                          -> duplicate, nothing else
      otherwise                                                                    -> recorded: the row, the device's
                                                                                    last-seen time, then the rules
                                                                                    (alarms.py) and the car parks

The MQTT listener acknowledges a batch's messages only after this returns (the transaction committed), so a crash
anywhere means redelivery, and redelivery means a duplicate, not a second row.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from shequ.core import clock

from . import alarms, health, parking
from .messages import Parsed, Refused, parse
from .models import Device, DeviceStatus, Message, Refusal

log = logging.getLogger(__name__)

KEY_HEADER = "X-Device-Key"
SIGNATURE_HEADER = "X-Device-Signature"
UNKNOWN = "(unknown)"  # every unknown device code is counted under this one row: no table grows with made-up codes


@dataclass(frozen=True)
class Incoming:
    code: str
    body: bytes
    wire: str
    key: str | None = None  # HTTP: the X-Device-Key header
    signature: str | None = None  # HTTP: "sha256=<hex HMAC-SHA256 of the body under the device's signing secret>"


@dataclass(frozen=True)
class Result:
    status: str  # recorded | duplicate | refused
    code: str = ""
    message: str = ""
    field: str | None = None
    message_id: int | None = None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _check_http(device: Device, item: Incoming) -> None:
    if not device.key_hash or not hmac.compare_digest(device.key_hash, hash_key(item.key or "")):
        raise Refused("bad_key", _("The device key is missing or wrong."))
    if device.signing_secret and not hmac.compare_digest(sign(item.body, device.signing_secret), item.signature or ""):
        raise Refused("bad_signature", _("The signature over the body is missing or wrong."))


def _insert(device_id: int, parsed: Parsed, wire: str, now: datetime) -> int | None:
    """The row, or None when (device, type, at) is there already. One statement on SQLite and PostgreSQL."""

    def field(name: str) -> Any:
        return Message._meta.get_field(name)

    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(Message._meta.db_table)} (device_id, type, at, received_at, wire, data) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (device_id, type, at) DO NOTHING RETURNING id"
    )
    params = [
        device_id,
        parsed.type,
        field("at").get_db_prep_value(parsed.at, connection),
        field("received_at").get_db_prep_value(now, connection),
        wire,
        field("data").get_db_prep_value(parsed.data, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _react(device: Device, message: Message, now: datetime) -> None:
    """The rules and the car parks, in a savepoint: a failure there keeps the message and the batch."""
    rules = [r for r in alarms.rules_for(message.type) if alarms.matches(r, device, message.data)]
    if not rules and message.type != "plate":
        return
    try:
        with transaction.atomic():
            if message.type == "plate":
                parking.on_plate(device, message, now=now)
            for rule in rules:
                text = alarms.summary(device, message.type, message.at, message.data)
                alarms.raise_alarm(rule, device, message=message, text=text, now=now, message_at=message.at)
    except Exception:  # a bug in a rule must not stop ingestion: the message stays recorded, the log says why
        log.exception("device %s message %s: rules failed", device.code, message.pk)


def _count(refusals: Counter[tuple[str, str]], details: dict[tuple[str, str], str], now: datetime) -> None:
    for (code, reason), n in refusals.items():
        detail = details.get((code, reason), "")[:200]
        rows = Refusal.objects.filter(device_code=code, code=reason)
        if rows.update(count=F("count") + n, last_at=now, last_detail=detail):
            continue
        try:
            with transaction.atomic():
                Refusal.objects.create(device_code=code, code=reason, count=n, last_at=now, last_detail=detail)
        except IntegrityError:  # another process made the row first
            rows.update(count=F("count") + n, last_at=now, last_detail=detail)


def _touch(seen: dict[int, str], now: datetime) -> None:
    """Last-seen times in a query or two a batch; a device that was offline is back (its maintenance closes)."""
    by_type: dict[str, list[int]] = {}
    for pk, kind in seen.items():
        by_type.setdefault(kind, []).append(pk)
    for kind, pks in by_type.items():
        Device.objects.filter(pk__in=pks).update(last_seen_at=now, last_message_type=kind)
    for device in Device.objects.filter(pk__in=list(seen), status=DeviceStatus.OFFLINE):
        health.back_online(device, now=now)


def ingest_batch(items: list[Incoming]) -> list[Result]:
    """Check, record and act on each message; one transaction for the batch."""
    now = clock.now()
    codes = {item.code for item in items}
    results: list[Result] = []
    refusals: Counter[tuple[str, str]] = Counter()
    details: dict[tuple[str, str], str] = {}
    seen: dict[int, str] = {}
    with transaction.atomic():
        devices = {
            d.code: d
            for d in Device.objects.filter(code__in=codes)
            .exclude(status=DeviceStatus.RETIRED)
            .select_related("building", "dwelling", "grid", "car_park")
        }
        for item in items:
            device = devices.get(item.code)
            try:
                if device is None:
                    raise Refused("unknown_device", _("No active device has the code %(code)s.") % {"code": item.code})
                if item.wire == "http":
                    _check_http(device, item)
                parsed = parse(item.body, device.type)
            except Refused as refused:
                key = (item.code if device is not None else UNKNOWN, refused.code)
                refusals[key] += 1
                details[key] = item.code if device is None else refused.message
                results.append(Result("refused", refused.code, refused.message, refused.field))
                continue
            pk = _insert(device.pk, parsed, item.wire, now)
            if pk is None:
                results.append(Result("duplicate", message_id=None))
                continue
            seen[device.pk] = parsed.type
            message = Message(
                pk=pk, device=device, type=parsed.type, at=parsed.at, received_at=now, wire=item.wire, data=parsed.data
            )
            _react(device, message, now)
            results.append(Result("recorded", message_id=pk))
        if seen:
            _touch(seen, now)
        if refusals:
            _count(refusals, details, now)
    return results


def ingest(item: Incoming) -> Result:
    return ingest_batch([item])[0]
