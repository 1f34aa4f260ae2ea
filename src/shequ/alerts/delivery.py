"""Delivery of approved alerts per recipient: fan-out, sending with retries, answers (收到 / 已安全 / 需要帮助).

    approve -> (after commit) fan_out: one Delivery per resident (and worker) and channel, organisation contacts by SMS
    send_due: claim a batch queued -> sending (locked UPDATE), send each, then sent | queued again later | failed
    acknowledge: the answer on every row of that recipient; 需要帮助 reports one urgent event

Fan-out is idempotent: rows are inserted in chunks with ``ignore_conflicts`` against the unique constraints, so a
re-run after a crash adds only what is missing. No two workers send a row: it is sent only by the worker whose
conditional update moved it from queued to sending. A row left in sending by a dead worker goes back to the queue
(claims.py says which are lost) and is sent again under the same idempotency key, its id: the gateway drops a
message it already took, so at most the one in flight at the death can reach a phone twice, and only through a
provider that ignores the key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import Case, CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, TextField, Value, When
from django.db.models.constants import OnConflict
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import DomainError, InvalidInput, NotFound
from shequ.events import actions as events
from shequ.events.models import Channel, Event, Level
from shequ.geo.models import Region
from shequ.registry.models import Organization, Person, PersonTag
from shequ.registry.queries import current_employments, current_residences, person_of

from . import claims, gateway, live, targeting
from .models import (
    Ack,
    AckChannel,
    Alert,
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    MsgType,
    PushSubscription,
    State,
)

log = logging.getLogger(__name__)

ACK_SALT = "shequ.alerts.ack"
HELP_CHANNEL = Channel.ALERT


def max_attempts() -> int:
    return settings.SHEQU_ALERT_MAX_ATTEMPTS


def retry_base_seconds() -> int:
    return settings.SHEQU_ALERT_RETRY_SECONDS


def claim_timeout_seconds() -> int:
    return settings.SHEQU_ALERT_CLAIM_SECONDS


def vulnerable_tags() -> list[str]:
    return settings.SHEQU_ALERT_VULNERABLE_TAGS


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed ones: base, 2 x base, 4 x base ..."""
    return timedelta(seconds=retry_base_seconds() * 2 ** max(attempts - 1, 0))


# --- tokens and texts ---------------------------------------------------------------------------------


def ack_token(delivery: Delivery) -> str:
    return signing.Signer(salt=ACK_SALT).sign(signing.b62_encode(delivery.pk))


def delivery_for_token(token: str) -> Delivery:
    """The delivery a link names; a forged or mangled token is simply not found."""
    try:
        pk = signing.b62_decode(signing.Signer(salt=ACK_SALT).unsign(token))
        return Delivery.objects.select_related("alert", "person").get(pk=pk)
    except (signing.BadSignature, Delivery.DoesNotExist, ValueError):
        raise NotFound() from None


def ack_url(delivery: Delivery) -> str:
    return settings.SHEQU_PUBLIC_URL.rstrip("/") + reverse("alerts:ack", args=[ack_token(delivery)])


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


# --- fan-out ------------------------------------------------------------------------------------------


def _open_tag(codes: list[str]) -> QuerySet[PersonTag]:
    today = clock.now().date()
    return PersonTag.objects.filter(tag__code__in=codes, since__lte=today).filter(
        Q(until__isnull=True) | Q(until__gt=today)
    )


def _person_rows(
    person_id: int, phone: str, account_id, email: str, grid: str, vulnerable: bool, push: bool, now: datetime
):
    common = {"person_id": person_id, "grid_code": grid or "", "created_at": now}
    if account_id:
        # In the portal it is there at once: inbox, banner and open pages (live.py) read these rows.
        yield Delivery(
            **common, channel=DeliveryChannel.IN_APP, status=DeliveryStatus.DELIVERED, sent_at=now, delivered_at=now
        )
        if push:
            # A browser of theirs allowed notifications: one row, sent to each of their subscriptions.
            yield Delivery(**common, channel=DeliveryChannel.WEBPUSH, next_attempt_at=now)
    if phone:
        yield Delivery(**common, channel=DeliveryChannel.SMS, address=phone, next_attempt_at=now)
        if vulnerable:
            # Someone elderly or disabled may not read a text message: a call too.
            yield Delivery(**common, channel=DeliveryChannel.VOICE, address=phone, next_attempt_at=now)
    if email:
        yield Delivery(**common, channel=DeliveryChannel.EMAIL, address=email, next_attempt_at=now)


def _insert_new(rows: list[Delivery]) -> None:
    """``Delivery.objects.bulk_create(rows, ignore_conflicts=True)`` as one ``executemany``.

    At a million recipients Django's per-field work in ``bulk_create`` (about 20 fields a row, each prepared and
    given its own placeholder) was most of the fan-out. Here each distinct non-trivial value (the chunk's shared
    timestamps) is prepared for the database once; rows that already exist are still skipped by the unique
    constraints (``INSERT OR IGNORE`` / ``ON CONFLICT DO NOTHING``)."""
    if not rows:
        return
    fields = [f for f in Delivery._meta.concrete_fields if not f.primary_key]
    ops = connection.ops
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = (
        f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {ops.quote_name(Delivery._meta.db_table)} "
        f"({columns}) VALUES ({placeholders}) {ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)}"
    )
    prepared: dict = {}

    def prep(field, value):
        if value is None or type(value) in (str, int):
            return value
        try:
            key = (field.attname, value)
            if key not in prepared:
                prepared[key] = field.get_db_prep_save(value, connection)
            return prepared[key]
        except TypeError:  # unhashable: prepare it each time
            return field.get_db_prep_save(value, connection)

    values = [tuple(prep(f, getattr(row, f.attname)) for f in fields) for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def _by_ids(ids: QuerySet, rows: QuerySet, size: int) -> Iterator[list]:
    """``rows`` for the ids ``ids`` selects, ``size`` ids a query, in id order.

    The area's ids are read once: re-running the area query per chunk (``pk > last``) made the database rebuild
    the area's resident set every time, quadratic in the residents (1,000 times at a million). Each chunk is its
    own short query, so no read stays open across the chunks' commits (SQLite could not then write)."""
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield list(rows.filter(pk__in=ids[start : start + size]).order_by("pk"))


def fan_out(alert: Alert, *, chunk: int = 1000) -> int:
    """Make the Delivery rows of an approved alert; returns how many were new. Safe to run any number of times."""
    alert = Alert.objects.get(pk=alert.pk)
    if alert.state != State.APPROVED:
        return 0
    before = Delivery.objects.filter(alert=alert).count()
    target = targeting.resolve(targeting.Area.of(alert))
    building_ids = target.buildings.values("pk")
    # A resident's grid is their home's in the area; a worker's (who lives elsewhere) their workplace's.
    home_grid = (
        current_residences()
        .filter(person_id=OuterRef("pk"), dwelling__building_id__in=building_ids)
        .order_by("start", "pk")
        .values("dwelling__building__grid__code")[:1]
    )
    work_grid = (
        current_employments()
        .filter(person_id=OuterRef("pk"), organization__in=target.organizations)
        .order_by("start", "pk")
        .values("organization__premises__building__grid__code")[:1]
    )
    for recipients, grid in ((target.residents, home_grid), (target.workers, work_grid)):
        people = (
            Person.objects.annotate(
                grid=Subquery(grid),
                vulnerable=Exists(_open_tag(vulnerable_tags()).filter(person_id=OuterRef("pk"))),
                push=Exists(PushSubscription.objects.filter(user_id=OuterRef("account_id"))),
            )
            .order_by("pk")
            .values_list("pk", "phone", "account_id", "account__email", "grid", "vulnerable", "push")
        )
        # Chunks, each inserted in its own transaction: a crash keeps what was done and a re-run continues.
        for rows in _by_ids(recipients.order_by("pk").values_list("pk", flat=True), people, chunk):
            now = clock.now()
            batch = [d for row in rows for d in _person_rows(*row, now=now)]
            for d in batch:
                d.alert = alert
            with transaction.atomic():
                _insert_new(batch)
                live.nudge()  # residents' open pages show the banner now, whichever process serves them

    organizations = target.organizations.exclude(contact_phone="").order_by("pk")
    contacts_of = Organization.objects.values_list("pk", "contact_phone", "premises__building__grid__code")
    for contacts in _by_ids(organizations.values_list("pk", flat=True), contacts_of, chunk):
        now = clock.now()
        batch = [
            Delivery(
                alert=alert,
                organization_id=pk,
                grid_code=grid or "",
                channel=DeliveryChannel.SMS,
                address=phone,
                next_attempt_at=now,
                created_at=now,
            )
            for pk, phone, grid in contacts
        ]
        with transaction.atomic():
            _insert_new(batch)

    Alert.objects.filter(pk=alert.pk, fanned_out_at__isnull=True).update(fanned_out_at=clock.now())
    return Delivery.objects.filter(alert=alert).count() - before


# A fan-out writes a chunk of rows every second or so; this long without a new row (or since the approval) and
# it is taken for lost.
FAN_OUT_STALLED = timedelta(seconds=60)


def alerts_to_fan_out() -> QuerySet[Alert]:
    """Approved alerts whose fan-out never finished (the task was lost, or the worker died), still worth sending.

    Not an alert approved or given new rows within ``FAN_OUT_STALLED``: its own task is at it. Each worker
    repeating a running fan-out of a million rows held back every worker's first message until its copy ended."""
    now = clock.now()
    stalled = now - FAN_OUT_STALLED
    progressing = Delivery.objects.filter(alert=OuterRef("pk"), created_at__gt=stalled)
    return (
        Alert.objects.filter(
            Q(expires__isnull=True) | Q(expires__gt=now),
            Q(approved_at__isnull=True) | Q(approved_at__lte=stalled),
            state=State.APPROVED,
            fanned_out_at__isnull=True,
            superseded_by__isnull=True,
        )
        .exclude(Exists(progressing))
        .order_by("approved_at", "id")
    )


# --- sending ------------------------------------------------------------------------------------------


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


# --- answers ------------------------------------------------------------------------------------------


def _help_place(person: Person, grid_code: str) -> dict:
    """Where help is needed: the resident's dwelling (in the alert's grid if they have several), else the grid."""
    homes = current_residences().filter(person=person).select_related("dwelling__building__grid").order_by("start")
    home = (homes.filter(dwelling__building__grid__code=grid_code).first() if grid_code else None) or homes.first()
    if home is not None:
        building = home.dwelling.building
        return {
            "lon": building.lon,
            "lat": building.lat,
            "address": f"{building.address} {home.dwelling.room}".strip(),
            "region": building.grid,
        }
    region = Region.objects.filter(code=grid_code).first() if grid_code else None
    return {"lon": None, "lat": None, "address": "", "region": region}


def request_help(alert: Alert, person: Person, *, by: User | None, note: str = "") -> Event | None:
    """One urgent event per resident and alert, at their dwelling; a second request returns the first event."""
    known = (
        Delivery.objects.filter(alert=alert, person=person, help_event__isnull=False)
        .values_list("help_event_id", flat=True)
        .first()
    )
    if known:
        return Event.objects.get(pk=known)
    grid_code = (
        Delivery.objects.filter(alert=alert, person=person).exclude(grid_code="").values_list("grid_code", flat=True)
    ).first() or ""
    place = _help_place(person, grid_code)
    level = Level.objects.filter(code="urgent").first() or Level.objects.order_by("-rank").first()
    names = {"headline": alert.headline, "name": person.name}
    description = _("Alert “%(headline)s”: %(name)s asked for help.") % names
    if note:
        description += " " + note
    kwargs = {
        "by": by if by is not None and by.is_authenticated else None,
        "channel": HELP_CHANNEL,
        "description": description[:1000],
        "level": level,
        "address": place["address"],
        "reporter_name": person.name,
        "reporter_phone": person.phone,
        "source_ref": f"alert-{alert.pk}-person-{person.pk}",
    }
    try:
        with transaction.atomic():
            if place["lon"] is not None:
                try:
                    with transaction.atomic():
                        event = events.report(**kwargs, lon=place["lon"], lat=place["lat"])
                except InvalidInput:  # the building's point is off the grids: place it by its grid instead
                    event = events.report(**kwargs, region=place["region"])
            else:
                event = events.report(**kwargs, region=place["region"])
    except DomainError:
        # The answer itself must stand; the grid worker's follow-up list still shows the person.
        log.exception("alert %s: no help event for person %s", alert.pk, person.pk)
        return None
    Delivery.objects.filter(alert=alert, person=person).update(help_event=event)
    return event


@transaction.atomic
def acknowledge(delivery: Delivery, *, answer: str, channel: str, by: User | None = None) -> Delivery:
    """The recipient's answer, kept on all their rows for the alert (any channel answers for all).
    A later answer replaces an earlier one; 需要帮助 reports one urgent event, however often it is given."""
    if answer not in Ack.values:
        raise InvalidInput(_("Choose one of the answers."), field="answer")
    if channel not in AckChannel.values:
        raise InvalidInput(_("Unknown answer channel."), field="channel")
    alert = delivery.alert
    if alert.state != State.APPROVED:
        raise NotFound()
    if delivery.person_id is not None:
        rows = Delivery.objects.filter(alert=alert, person_id=delivery.person_id)
    else:
        rows = Delivery.objects.filter(pk=delivery.pk)
    list(rows.select_for_update())
    rows.update(ack=answer, ack_channel=channel, acknowledged_at=clock.now(), status=DeliveryStatus.ACKNOWLEDGED)
    if answer == Ack.NEED_HELP and delivery.person_id is not None:
        request_help(alert, Person.objects.get(pk=delivery.person_id), by=by)
    delivery.refresh_from_db()
    return delivery


def acknowledge_in_portal(alert_pk, *, user: User, answer: str) -> Delivery:
    """A resident answers in the portal: through any of their own deliveries of that alert."""
    person = person_of(user)
    delivery = (
        Delivery.objects.filter(person=person, alert_id=alert_pk).select_related("alert").order_by("id").first()
        if person is not None
        else None
    )
    if delivery is None:
        raise NotFound()
    return acknowledge(delivery, answer=answer, channel=AckChannel.PORTAL, by=user)
