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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from shequ.core import clock

from . import alarms, health, parking
from .messages import Parsed, Refused, parse
from .models import Device, DeviceStatus, Message, Refusal, Rule

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


@dataclass(frozen=True, slots=True)
class _Known:
    """The columns of an active device the checks need: one light query a batch, no model objects (a message that
    sets off a rule or a car park loads its device in full, see ``_react_all``)."""

    pk: int
    type: str
    key_hash: str
    signing_secret: str


def _known(codes: set[str]) -> dict[str, _Known]:
    rows = (
        Device.objects.filter(code__in=codes)
        .exclude(status=DeviceStatus.RETIRED)
        .values_list("code", "pk", "type", "key_hash", "signing_secret")
    )
    return {code: _Known(pk, kind, key_hash, secret) for code, pk, kind, key_hash, secret in rows}


def _check_http(device: _Known, item: Incoming) -> None:
    if not device.key_hash or not hmac.compare_digest(device.key_hash, hash_key(item.key or "")):
        raise Refused("bad_key", _("The device key is missing or wrong."))
    if device.signing_secret and not hmac.compare_digest(sign(item.body, device.signing_secret), item.signature or ""):
        raise Refused("bad_signature", _("The signature over the body is missing or wrong."))


def _adapters() -> tuple[Callable[[datetime], Any], Callable[[Any], Any]]:
    """The backend's own conversions for a time and a JSON value, called directly (the field layer around them
    costs more than the insert itself at thousands of rows a second)."""
    ops = connection.ops
    if connection.vendor == "sqlite":
        tz = connection.timezone  # SQLite stores naive times in the connection's zone (UTC), as Django does

        def at(value: datetime) -> Any:
            return str(value.astimezone(tz).replace(tzinfo=None))
    else:
        at = ops.adapt_datetimefield_value
    return at, lambda value: ops.adapt_json_value(value, None)


def _insert_many(rows: list[tuple[int, Parsed]], wire: str, now: datetime) -> dict[tuple, int]:
    """The rows not yet recorded, in one multi-row statement per 1,000 (on SQLite and PostgreSQL alike); returns
    {(device id, type, stored time): new id} for those inserted (a row already there is left out)."""
    quote = connection.ops.quote_name
    adapt_at, adapt_json = _adapters()
    received = adapt_at(now)
    inserted: dict[tuple, int] = {}
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
        params: list[Any] = []
        for device_id, parsed in chunk:
            params += [device_id, parsed.type, adapt_at(parsed.at), received, wire, adapt_json(parsed.data)]
        sql = (
            f"INSERT INTO {quote(Message._meta.db_table)} (device_id, type, at, received_at, wire, data) "
            f"VALUES {values} ON CONFLICT (device_id, type, at) DO NOTHING RETURNING id, device_id, type, at"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for pk, device_id, kind, at in cursor.fetchall():
                inserted[(device_id, kind, _stored(at))] = pk
    return inserted


def _stored(at: Any) -> float:
    """A time as the database gives it back (PostgreSQL: aware; SQLite: naive UTC, or its text) as microseconds."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return round(at.timestamp() * 1_000_000)


def _key(device_id: int, parsed: Parsed) -> tuple:
    return (device_id, parsed.type, _stored(parsed.at))


def _react_all(reacting: list[tuple[int, int, Parsed, list[Rule]]], wire: str, now: datetime) -> None:
    """The rules and the car parks for the messages that set them off, in order; their devices in one query."""
    devices = Device.objects.select_related("building", "dwelling", "grid", "car_park").in_bulk(
        {device_id for _pk, device_id, _p, _r in reacting}
    )
    for pk, device_id, parsed, rules in reacting:
        device = devices[device_id]
        message = Message(
            pk=pk, device=device, type=parsed.type, at=parsed.at, received_at=now, wire=wire, data=parsed.data
        )
        _react(device, message, rules, now)


def _react(device: Device, message: Message, rules: list[Rule], now: datetime) -> None:
    """The rules and the car parks, in a savepoint: a failure there keeps the message and the batch."""
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
    results: list[Result | None] = []
    refusals: Counter[tuple[str, str]] = Counter()
    details: dict[tuple[str, str], str] = {}
    seen: dict[int, str] = {}
    wires = {item.wire for item in items}
    wire = wires.pop() if len(wires) == 1 else "http"
    with transaction.atomic():
        devices = _known({item.code for item in items})
        valid: list[tuple[int, int, Parsed]] = []  # (place in the results, device id, message)
        for item in items:
            device = devices.get(item.code)
            try:
                if device is None:
                    raise Refused("unknown_device", _("No active device has the code %(code)s.") % {"code": item.code})
                if item.wire == "http":
                    _check_http(device, item)
                parsed = parse(item.body, device.type, now=now)
            except Refused as refused:
                key = (item.code if device is not None else UNKNOWN, refused.code)
                refusals[key] += 1
                details[key] = item.code if device is None else refused.message
                results.append(Result("refused", refused.code, refused.message, refused.field))
                continue
            valid.append((len(results), device.pk, parsed))
            results.append(None)  # filled in below, once the rows are in
        inserted = _insert_many([(d, p) for _i, d, p in valid], wire, now) if valid else {}
        types = {device.pk: device.type for device in devices.values()}
        reacting: list[tuple[int, int, Parsed, list[Rule]]] = []
        for slot, device_id, parsed in valid:
            pk = inserted.pop(_key(device_id, parsed), None)  # popped: a second copy in the batch is a duplicate
            if pk is None:
                results[slot] = Result("duplicate", message_id=None)
                continue
            seen[device_id] = parsed.type
            results[slot] = Result("recorded", message_id=pk)
            # Rules are matched here, in memory; only a message that sets one off (or a plate) goes further.
            rules = [r for r in alarms.rules_for(parsed.type) if alarms.matches(r, types[device_id], parsed.data)]
            if rules or parsed.type == "plate":
                reacting.append((pk, device_id, parsed, rules))
        if reacting:
            _react_all(reacting, wire, now)
        if seen:
            _touch(seen, now)
        if refusals:
            _count(refusals, details, now)
    return [r for r in results if r is not None]


def ingest(item: Incoming) -> Result:
    return ingest_batch([item])[0]
