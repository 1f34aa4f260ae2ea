"""Sending deliveries: claim what is due, POST it signed, record the try, retry with back-off, pause a subscriber
that keeps failing.

    claim: a conditional update moves a due row's ``next_attempt_at`` past the claim timeout and counts the try,
           so two workers never send the same row at once; a worker that dies leaves it due again later (sent
           again with the same idempotency key: receivers deduplicate on ``X-Shequ-Delivery``)
    2xx  -> sent; the subscription's failures in a row go back to 0
    else -> failed, due again after back-off (base x 2^(tries-1), capped); dead after the last try;
            the subscription's failures in a row + 1, and at the threshold it pauses and its owner is told

Nothing is sent for a paused subscription: its deliveries wait and go out once it is resumed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from django.db import transaction
from django.db.models import F

from shequ.core import clock

from . import conf
from .models import DUE_STATUSES, Attempt, Delivery, DeliveryStatus, State, Subscription

SIGNATURE_HEADER = "X-Shequ-Signature"
DELIVERY_HEADER = "X-Shequ-Delivery"
EVENT_HEADER = "X-Shequ-Event"
EXCERPT = 500
READ_LIMIT = 4096


def body_of(payload: dict[str, Any]) -> bytes:
    """The raw body: the same bytes for every try and replay of a delivery (the signature covers these)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, signature: str, secret: str) -> bool:
    """What a receiver does (docs/webhooks.md has the same in a few lines)."""
    return bool(secret) and hmac.compare_digest(sign(body, secret), signature or "")


def backoff(tries: int) -> timedelta:
    """The wait after ``tries`` failed tries: base, 2 x base, 4 x base ..., never more than the cap."""
    seconds = conf.retry_seconds() * 2 ** max(tries - 1, 0)
    return timedelta(seconds=min(seconds, conf.retry_cap_seconds()))


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    response: str
    error: str
    duration_ms: int


_sessions = threading.local()


def _session() -> requests.Session:
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = requests.Session()
    return session


def post(delivery: Delivery, secret: str) -> Outcome:
    body = body_of(delivery.payload)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "shequ-webhooks/1",
        SIGNATURE_HEADER: sign(body, secret),
        DELIVERY_HEADER: delivery.key,
        EVENT_HEADER: delivery.event_type,
    }
    start = time.monotonic()
    try:
        with _session().post(
            delivery.subscription.url,
            data=body,
            headers=headers,
            timeout=conf.timeout(),
            allow_redirects=False,  # a redirect is a failure to fix at the receiver, not a hop to follow blindly
            stream=True,
        ) as response:
            raw = response.raw.read(READ_LIMIT, decode_content=True) or b""
            code = response.status_code
    except requests.RequestException as e:
        elapsed = int((time.monotonic() - start) * 1000)
        return Outcome(False, None, "", f"{type(e).__name__}: {e}"[:EXCERPT], elapsed)
    elapsed = int((time.monotonic() - start) * 1000)
    text = raw.decode("utf-8", errors="replace")[:EXCERPT]
    ok = 200 <= code < 300
    return Outcome(ok, code, text, "" if ok else f"HTTP {code}", elapsed)


def _due(now):
    return Delivery.objects.filter(
        status__in=DUE_STATUSES, next_attempt_at__lte=now, subscription__state=State.ACTIVE
    ).order_by("next_attempt_at", "id")


def claim(pk: int) -> Delivery | None:
    """This worker's claim on one due delivery, or None if another has it (or it is no longer due)."""
    now = clock.now()
    taken = (
        _due(now)
        .filter(pk=pk)
        .update(next_attempt_at=now + timedelta(seconds=conf.claim_seconds()), attempts=F("attempts") + 1)
    )
    if not taken:
        return None
    return Delivery.objects.select_related("subscription").get(pk=pk)


def send_one(delivery: Delivery) -> str:
    """Send a claimed delivery and record the outcome; returns its new status."""
    sub = delivery.subscription
    outcome = post(delivery, sub.secret)
    return record(delivery, outcome)


@transaction.atomic
def record(delivery: Delivery, outcome: Outcome) -> str:
    from . import actions  # actions builds on this module

    now = clock.now()
    Attempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        at=now,
        status_code=outcome.status_code,
        response=outcome.response,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
        succeeded=outcome.ok,
    )
    fields: dict[str, Any] = {
        "last_status_code": outcome.status_code,
        "last_response": outcome.response,
        "last_error": outcome.error,
        "updated_at": now,
    }
    if outcome.ok:
        fields.update(status=DeliveryStatus.SENT, sent_at=now, next_attempt_at=None)
        Subscription.objects.filter(pk=delivery.subscription_id).exclude(failure_count=0).update(failure_count=0)
    elif delivery.attempts >= conf.max_attempts():
        fields.update(status=DeliveryStatus.DEAD, next_attempt_at=None)
    else:
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=now + backoff(delivery.attempts))
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    if not outcome.ok:
        sub = Subscription.objects.select_for_update().get(pk=delivery.subscription_id)
        sub.failure_count += 1
        sub.save(update_fields=["failure_count"])
        threshold = conf.pause_after()
        if threshold and sub.failure_count >= threshold and sub.state == State.ACTIVE:
            actions.pause_for_failures(sub)
    return str(fields["status"])


def send_due(*, limit: int = 200) -> int:
    """Send what is due now, oldest first; returns how many went out. Safe to run in several workers at once."""
    sent = handled = 0
    seen: set[int] = set()
    while handled < limit:
        ids = [pk for pk in _due(clock.now()).values_list("pk", flat=True)[:50] if pk not in seen]
        if not ids:
            break
        for pk in ids:
            seen.add(pk)
            delivery = claim(pk)
            if delivery is None:  # another worker's, or paused meanwhile
                continue
            handled += 1
            sent += send_one(delivery) == DeliveryStatus.SENT
            if handled >= limit:
                break
    return sent
