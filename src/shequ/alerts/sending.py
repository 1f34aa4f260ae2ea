"""Sending alert deliveries: claim a batch, send each through the gateway, write the outcome; retries, reports.

    send_due: claim a batch queued -> sending (locked UPDATE), send each, then sent | queued again later | failed

No two workers send a row: it is sent only by the worker whose conditional update moved it from queued to sending.
A row left in sending by a dead worker goes back to the queue (claims.py says which are lost) and is sent again
under the same idempotency key, its id: the gateway drops a message it already took, so at most the one in flight
at the death can reach a phone twice, and only through a provider that ignores the key. The rows come from
``fanout.py``; the answer link in a message is ``answers.py``'s; the wire is ``gateway.py``.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, CharField, F, Q, QuerySet, TextField, Value, When
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from shequ.core import clock

from . import claims, gateway
from .answers import ack_url
from .models import Alert, Delivery, DeliveryChannel, DeliveryStatus, MsgType, State

# The name the delivery log has always had, so that log filters keep working.
log = logging.getLogger("shequ.alerts.delivery")


def max_attempts() -> int:
    return settings.SHEQU_ALERT_MAX_ATTEMPTS


def retry_base_seconds() -> int:
    return settings.SHEQU_ALERT_RETRY_SECONDS


def claim_timeout_seconds() -> int:
    return settings.SHEQU_ALERT_CLAIM_SECONDS


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed ones: base, 2 x base, 4 x base ..."""
    return timedelta(seconds=retry_base_seconds() * 2 ** max(attempts - 1, 0))


def callback_url() -> str:
    return settings.SHEQU_PUBLIC_URL.rstrip("/") + reverse("alerts:delivery_callback")


def message_text(delivery: Delivery) -> str:
    """The SMS/voice/email text: sender, headline, what to do, and (SMS, email) the answer link."""
    alert = delivery.alert
    with translation.override(settings.LANGUAGE_CODE):
        sender = alert.sender_name or _("Community alert")
        if alert.msg_type == MsgType.CANCEL:
            return _("[%(sender)s] Cancelled: %(headline)s. %(note)s") % {
                "sender": sender,
                "headline": alert.headline,
                "note": alert.note,
            }
        text = _("[%(sender)s] %(headline)s. %(instruction)s") % {
            "sender": sender,
            "headline": alert.headline,
            "instruction": alert.instruction[:120],
        }
        if delivery.channel in (DeliveryChannel.SMS, DeliveryChannel.EMAIL):
            text += " " + _("Answer: %(link)s") % {"link": ack_url(delivery)}
        return text


def _still_to_send(alert: Alert, now: datetime) -> bool:
    if alert.state != State.APPROVED or alert.superseded_by_id is not None:
        return False
    return alert.expires is None or alert.expires > now


def release_stale(now: datetime | None = None) -> int:
    """Rows a dead worker left in ``sending`` go back to the queue, due now; returns how many (failed ones too).

    Failing them (as before) dropped the alert for every resident of the batch not yet sent to, and the kill's
    batch was up to 50. They are sent again with the same idempotency key, so what reached the gateway before the
    death is dropped there. PostgreSQL: a claim whose lock is free, at once (claims.py); SQLite, and rows claimed
    without a key, after ``SHEQU_ALERT_CLAIM_SECONDS``. A row that has used up its attempts fails instead: a
    message that kills its worker every time must not do it for ever."""
    now = now or clock.now()
    sending = Delivery.objects.filter(status=DeliveryStatus.SENDING)
    lost = Q(claimed_at__lt=now - timedelta(seconds=claim_timeout_seconds()))
    if claims.advisory():
        keys = set(sending.exclude(claim_key=None).values_list("claim_key", flat=True))
        lost = Q(claim_key__in=[key for key in keys if claims.lost(key)]) | (lost & Q(claim_key=None))
    rows = sending.filter(lost)
    failed = rows.filter(attempts__gte=max_attempts()).update(
        status=DeliveryStatus.FAILED, last_error="worker stopped during the send, attempts used up", claim_key=None
    )
    queued = rows.update(
        status=DeliveryStatus.QUEUED,
        next_attempt_at=now,
        claim_key=None,
        last_error="worker stopped during the send; sent again with the same idempotency key",
    )
    if failed or queued:
        log.warning("alert deliveries left by a dead worker: %s queued again, %s failed", queued, failed)
    return failed + queued


def claim_batch() -> int:
    """Rows a worker claims at once. Each is sent before the batch's outcome is written, so a batch of gateway
    timeouts must still end well inside the claim timeout (else, on SQLite or for a claim without a key,
    ``release_stale`` would queue rows still in hand: sent twice, if under one key)."""
    slowest = max(settings.SHEQU_SMS_TIMEOUT, 1) * 2
    return max(1, min(CLAIM_BATCH, claim_timeout_seconds() // slowest))


# One claim, one read and one write per batch instead of two commits a message: at a million messages the commits
# were most of the sending.
CLAIM_BATCH = 50


def _claim(due: QuerySet, size: int, key: int | None = None) -> list[Delivery]:
    """Move up to ``size`` of ``due`` (queued rows) to sending under claim ``key``, for this worker alone, and
    return them.

    PostgreSQL: the ids are locked ``FOR UPDATE SKIP LOCKED``, so concurrent workers take different rows without
    waiting. SQLite: the transaction is IMMEDIATE (settings), so claims are one at a time."""
    now = clock.now()
    with transaction.atomic():
        ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:size])
        if not ids:
            return []
        # By id alone: the rows are this transaction's. With ``AND status = 'queued'`` as well, SQLite (no
        # statistics) walked the status index through every queued row instead: 65 ms a claim at 800,000.
        Delivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.SENDING, claimed_at=now, claim_key=key, attempts=F("attempts") + 1
        )
    # An answer that came in since (acknowledged on another channel) needs no message.
    return list(
        Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENDING).select_related("alert").order_by("pk")
    )


def _message(delivery: Delivery) -> gateway.Message:
    return gateway.Message(
        delivery_id=delivery.pk,
        channel=delivery.channel,
        to=delivery.address,
        text=message_text(delivery),
        subject=delivery.alert.headline,
        callback=callback_url(),
        url=ack_url(delivery) if delivery.channel == DeliveryChannel.WEBPUSH else "",
    )


def _record_sent(refs: dict[int, str]) -> None:
    """One UPDATE for the batch's sent rows. The send happened whatever came in meanwhile, so the time and the
    provider's id are kept on every row; the status moves only from sending (a delivery report or an answer that
    came first is not overwritten)."""
    if not refs:
        return
    sending = Q(status=DeliveryStatus.SENDING)
    Delivery.objects.filter(pk__in=list(refs)).update(
        status=Case(When(sending, then=Value(DeliveryStatus.SENT)), default=F("status"), output_field=CharField()),
        last_error=Case(When(sending, then=Value("")), default=F("last_error"), output_field=TextField()),
        sent_at=clock.now(),
        provider_ref=Case(
            *(When(pk=pk, then=Value(ref)) for pk, ref in refs.items()),
            default=F("provider_ref"),
            output_field=CharField(),
        ),
    )


# While a batch is out its sent rows are written at least this often: after a worker's death only the messages of
# the last second are in doubt (sent again, same key), not the whole batch. One UPDATE a second costs nothing.
RECORD_EVERY = 1.0  # seconds


def _send_claimed(rows: list[Delivery]) -> dict[int, str]:
    """Send claimed rows; returns each row's new status."""
    now = clock.now()
    outcome: dict[int, str] = {}
    refs: dict[int, str] = {}
    still: dict[int, bool] = {}
    recorded = time.monotonic()
    try:
        for delivery in rows:
            _send_one_claimed(delivery, now, still, outcome, refs)
            if refs and time.monotonic() - recorded >= RECORD_EVERY:
                _record_sent(refs)
                refs.clear()
                recorded = time.monotonic()
    finally:
        # Also when a send raised something unexpected: what went out is written, the rest is released as lost.
        _record_sent(refs)
    return outcome


def _send_one_claimed(
    delivery: Delivery, now: datetime, still: dict[int, bool], outcome: dict[int, str], refs: dict[int, str]
) -> None:
    mine = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING)
    if delivery.alert_id not in still:
        still[delivery.alert_id] = _still_to_send(delivery.alert, now)
    if not still[delivery.alert_id]:
        mine.update(status=DeliveryStatus.FAILED, last_error="the alert was replaced, cancelled or expired first")
        outcome[delivery.pk] = DeliveryStatus.FAILED
        return
    try:
        refs[delivery.pk] = gateway.send(_message(delivery))
        outcome[delivery.pk] = DeliveryStatus.SENT
    except gateway.SendError as e:
        if e.permanent or delivery.attempts >= max_attempts():
            mine.update(status=DeliveryStatus.FAILED, last_error=str(e)[:1000], next_attempt_at=None)
            outcome[delivery.pk] = DeliveryStatus.FAILED
        else:
            mine.update(
                status=DeliveryStatus.QUEUED,
                last_error=str(e)[:1000],
                next_attempt_at=now + backoff(delivery.attempts),
            )
            outcome[delivery.pk] = DeliveryStatus.QUEUED


def _claim_and_send(due: QuerySet, size: int) -> dict[int, str]:
    """One batch: claimed under a held lock, sent, its outcome written, the lock given back."""
    key = claims.hold()
    try:
        rows = _claim(due, size, key)
        return _send_claimed(rows) if rows else {}
    finally:
        claims.let_go(key)


def send_one(pk: int) -> str:
    """Claim and send one delivery; returns its new status ("" if another worker had it)."""
    return _claim_and_send(Delivery.objects.filter(pk=pk, status=DeliveryStatus.QUEUED), 1).get(pk, "")


def send_due(*, limit: int = 500) -> int:
    """Send what is due now, oldest first, a claimed batch at a time; returns how many went out."""
    now = clock.now()
    release_stale(now)
    due = Delivery.objects.filter(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id"
    )
    size = claim_batch()
    sent = handled = 0
    while handled < limit:
        outcome = _claim_and_send(due, min(size, limit - handled))
        if not outcome:
            break
        handled += len(outcome)
        sent += sum(status == DeliveryStatus.SENT for status in outcome.values())
    return sent


@transaction.atomic
def provider_report(*, ref: str, status: str, error: str = "") -> bool:
    """The gateway's delivery report. Unknown refs and late reports on answered rows change nothing."""
    try:
        pk = int(ref)
    except (TypeError, ValueError):
        return False
    rows = Delivery.objects.filter(pk=pk, status__in=[DeliveryStatus.SENT, DeliveryStatus.SENDING])
    if status == "delivered":
        return bool(rows.update(status=DeliveryStatus.DELIVERED, delivered_at=clock.now()))
    if status == "failed":
        return bool(rows.update(status=DeliveryStatus.FAILED, last_error=error[:1000] or "failed (provider)"))
    return False
