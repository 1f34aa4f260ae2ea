"""Fan-out of an approved alert: one Delivery per recipient and channel, made once however often it runs.

    approve -> (after commit) fan_out: one Delivery per resident (and worker) and channel, organisation contacts by SMS

Residents (and people working in the area) get an in-app row at once (delivered: the portal's inbox, banner and
open pages read it), a web-push row if a browser of theirs allowed notifications, SMS to their phone (and a call
if they are vulnerable), email to their account's address. Idempotent: rows are inserted in chunks with
``ignore_conflicts`` against the unique constraints, so a re-run after a crash adds only what is missing;
``alerts_to_fan_out`` finds the fan-outs that were lost. Sending the rows is ``sending.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.constants import OnConflict

from shequ.core import clock
from shequ.registry.models import Organization, Person, PersonTag
from shequ.registry.queries import current_employments, current_residences

from . import live, targeting
from .models import Alert, Delivery, DeliveryChannel, DeliveryStatus, PushSubscription, State


def vulnerable_tags() -> list[str]:
    return settings.SHEQU_ALERT_VULNERABLE_TAGS


def open_tag(codes: list[str]) -> QuerySet[PersonTag]:
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
                vulnerable=Exists(open_tag(vulnerable_tags()).filter(person_id=OuterRef("pk"))),
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
