"""A task worker killed with SIGKILL in the middle of a task: the production server queues the task again and,
after the restart, the work is done once. Real ``db_worker`` processes on the test database, killed mid-task:

- a deadline sweep (one overdue mark, one timeline row);
- an alert's fan-out, after its first chunk of deliveries was committed (every recipient one delivery per channel,
  each sent once);
- a ledger import of 2,500 rows, after its first chunk was written in the import's transaction (the batch applied
  once, every row once; the killed attempt's batch ended as failed, having kept nothing).

Each task is held mid-way by a lock this test takes (a row lock, or an uncommitted row the worker's insert must
wait for), so the kill lands in the middle whatever the machine's speed; the test sees the worker waiting on it in
``pg_locks`` before it kills."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest
from django.db import connection
from django.db.models import Count
from django_tasks_db.models import DBTaskResult

from shequ.access.models import Role
from shequ.alerts import actions as alerts
from shequ.alerts.actions import AlertInput
from shequ.alerts.models import AlertTemplate, Delivery, DeliveryChannel, DeliveryStatus, OutboxMessage
from shequ.core import clock
from shequ.events import actions
from shequ.events.models import Channel, Event, TimelineEntry
from shequ.events.tasks import sweep_deadlines
from shequ.geo.models import Building, Dwelling
from shequ.registry import actions as registry
from shequ.registry.importing.batches import close_abandoned
from shequ.registry.importing.uploads import store_upload
from shequ.registry.models import (
    Change,
    ImportBatch,
    ImportStatus,
    LedgerSource,
    Person,
    PersonTag,
    Residence,
    SourceKind,
    Tag,
)
from shequ.registry.queries import people_with_id_numbers
from shequ.registry.tasks import start_import
from tests.ops.workers import Workers
from tests.ops.workers import dsn as _dsn
from tests.ops.workers import restart as _restart
from tests.ops.workers import send_everything as _send_everything
from tests.ops.workers import task_status as _status
from tests.ops.workers import wait as _wait
from tests.registry.ids import make_id
from tests.world import user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _someone_waits_on_a_lock() -> bool:
    """A backend of this database is waiting for a lock: the worker has reached the one this test holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE NOT l.granted AND a.datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def _kill_mid_task(workers: Workers, task_id, worker_id: str, *, before_the_kill=None) -> None:
    """Start a worker, let it reach the held lock inside the task, SIGKILL it; the task is left RUNNING."""
    worker = workers.start(worker_id)
    _wait(lambda: _status(task_id) == "RUNNING", "the worker did not start the task")
    _wait(_someone_waits_on_a_lock, "the task did not reach the lock the test holds")
    if before_the_kill is not None:
        before_the_kill()
    workers.kill(worker)


def test_a_killed_workers_sweep_runs_again_and_the_work_is_done_once(world, workers):
    lon, lat = world.point_in(world.g1)
    event = actions.report(
        by=world.resident, channel=Channel.RESIDENT, description="垃圾", category=world.litter, lon=lon, lat=lat
    )
    actions.accept(event, by=world.community_staff)
    actions.dispatch(event, by=world.community_staff)
    Event.objects.filter(pk=event.pk).update(deadline=clock.now() - timedelta(hours=1))
    task_id = sweep_deadlines.enqueue().id
    with psycopg.connect(_dsn()) as lock:  # holds the event's row: the sweep stops half-way, inside its transaction
        lock.execute("SELECT id FROM events_event WHERE id = %s FOR UPDATE", [event.pk])
        _kill_mid_task(workers, task_id, "killed-1")
        lock.rollback()
    _restart(workers, task_id, "killed-1")
    event.refresh_from_db()
    assert event.overdue
    assert TimelineEntry.objects.filter(event=event, action="overdue").count() == 1


# --- an alert's fan-out ---------------------------------------------------------------------------------------

RESIDENTS = 1100  # the fan-out commits 1,000 recipients a chunk: the kill lands in the second
VULNERABLE_EVERY = 10  # these get a voice call too


def _neighbourhood(world) -> list[int]:
    """A building in G1 with RESIDENTS people, each with a phone; every tenth lives alone and elderly."""
    lon, lat = world.point_in(world.g1)
    building = Building.objects.create(grid=world.g1, name="K1", address="G1 K1", lon=lon, lat=lat, floors=30)
    dwellings = Dwelling.objects.bulk_create(
        [Dwelling(building=building, floor=1 + i // 40, room=str(i)) for i in range(RESIDENTS)]
    )
    people = Person.objects.bulk_create(
        [Person(name=f"居民{i}", phone=f"139{i:08d}") for i in range(RESIDENTS)], batch_size=500
    )
    Residence.objects.bulk_create(
        [
            Residence(person=p, dwelling=d, role="owner", start=date(2020, 1, 1))
            for p, d in zip(people, dwellings, strict=True)
        ]
    )
    elderly = Tag.objects.get(code="elderly_alone")
    PersonTag.objects.bulk_create(
        [
            PersonTag(person=p, tag=elderly, since=date(2024, 1, 1), source_kind=SourceKind.MANUAL)
            for p in people[::VULNERABLE_EVERY]
        ]
    )
    return sorted(p.pk for p in people)


def _hold_delivery(lock: psycopg.Connection, alert_id: int, person_id: int) -> None:
    """An uncommitted delivery row of (alert, person, SMS): the worker's insert of the same row waits for it."""
    lock.execute(
        "INSERT INTO alerts_delivery (alert_id, person_id, grid_code, channel, address, status, attempts,"
        " last_error, provider_ref, created_at, ack, ack_channel)"
        " VALUES (%s, %s, '', 'sms', '', 'queued', 0, '', '', now(), '', '')",
        [alert_id, person_id],
    )


def test_a_worker_killed_mid_fan_out_leaves_every_recipient_one_delivery_per_channel(world, workers):
    people = _neighbourhood(world)
    approver = user("c1staff2", Role.COMMUNITY_STAFF, region=world.c1)
    data = AlertInput.from_template(AlertTemplate.objects.get(code="typhoon"), area_desc="G1", regions=[world.g1])
    draft = alerts.submit(alerts.compose(by=world.community_staff, data=data), by=world.community_staff)
    alert = alerts.approve(draft, by=approver)  # enqueues the fan-out (after commit: at once, no transaction here)
    (task,) = DBTaskResult.objects.filter(task_path__endswith="fan_out_alert")
    assert task.args_kwargs["args"] == [alert.pk]
    with psycopg.connect(_dsn()) as lock:
        _hold_delivery(lock, alert.pk, people[1000])  # the first person of the second chunk
        _kill_mid_task(workers, task.pk, "killed-2")
        lock.rollback()
    # Killed half-way: the first chunk's deliveries are kept, the rest were never written.
    kept = Delivery.objects.filter(alert=alert, channel=DeliveryChannel.SMS).count()
    assert kept == 1000
    assert not OutboxMessage.objects.exists()  # nothing sent yet: the fan-out enqueues the sending at its end

    _restart(workers, task.pk, "killed-2")
    _send_everything()
    rows = Delivery.objects.filter(alert=alert)
    per_channel = dict(rows.values_list("channel").annotate(n=Count("id")).values_list("channel", "n"))
    assert per_channel == {DeliveryChannel.SMS: RESIDENTS, DeliveryChannel.VOICE: RESIDENTS // VULNERABLE_EVERY}
    doubled = rows.values("person_id", "channel").annotate(n=Count("id")).filter(n__gt=1)
    assert not doubled.exists()
    assert set(rows.filter(channel=DeliveryChannel.SMS).values_list("person_id", flat=True)) == set(people)
    voice = set(rows.filter(channel=DeliveryChannel.VOICE).values_list("person_id", flat=True))
    assert voice == set(people[::VULNERABLE_EVERY])
    assert set(rows.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    # Each delivery went out exactly once.
    sent = OutboxMessage.objects.values("delivery_id").annotate(n=Count("id"))
    assert sent.count() == rows.count()
    assert not sent.filter(n__gt=1).exists()
    alert.refresh_from_db()
    assert alert.fanned_out_at is not None
    assert DBTaskResult.objects.filter(task_path__endswith="fan_out_alert").count() == 1  # the task ended once


# --- a ledger import ------------------------------------------------------------------------------------------

ROWS = 2500  # the import writes 1,000 rows a chunk, all in one transaction: the kill lands in the second
KNOWN_ROW = 1500  # a person the base already has, matched by ID number in the second chunk


def _ledger() -> tuple[bytes, list[str]]:
    ids = [make_id(date(1940, 1, 1) + timedelta(days=i), seq=100 + i % 900) for i in range(ROWS)]
    lines = ["姓名,身份证号,联系电话"] + [f"居民{i},{n},137{i:08d}" for i, n in enumerate(ids)]
    return ("\n".join(lines) + "\n").encode(), ids


def test_a_worker_killed_mid_import_ends_with_the_batch_applied_once(world, workers, settings):
    settings.SHEQU_IMPORT_INLINE_ROWS = 100  # a file of this size goes to a worker
    content, ids = _ledger()
    known = registry.create_person(by=None, source=registry.MANUAL, name=f"居民{KNOWN_ROW}", id_number=ids[KNOWN_ROW])
    people_before = Person.objects.count()
    source = LedgerSource.objects.create(
        name="民政台账",
        department="民政",
        record_type="person",
        mapping={"姓名": "person.name", "身份证号": "person.id_number", "联系电话": "person.phone"},
    )
    table = store_upload(content, "people.csv")
    assert len(table.rows) == ROWS
    with psycopg.connect(_dsn()) as lock:  # the known person's row: the import stops in its second chunk
        lock.execute("SELECT id FROM registry_person WHERE id = %s FOR UPDATE", [known.pk])
        job = start_import(
            source=source,
            by=world.community_staff,
            sha256=table.sha256,
            file_name="people.csv",
            dry_run=False,
            rows=ROWS,
        )
        (task,) = DBTaskResult.objects.filter(task_path__endswith="run_import")
        assert task.args_kwargs["args"] == [job.id]

        def a_live_import_is_not_abandoned() -> None:
            assert close_abandoned() == 0  # its worker holds the batch's lock
            assert ImportBatch.objects.get(source=source).status == ImportStatus.RUNNING

        _kill_mid_task(workers, task.pk, "killed-3", before_the_kill=a_live_import_is_not_abandoned)
        lock.rollback()
    # Killed half-way: its batch is still marked running, and nothing of the file was kept (one transaction).
    (killed,) = ImportBatch.objects.filter(source=source)
    assert killed.status == ImportStatus.RUNNING
    assert Person.objects.count() == people_before

    _restart(workers, task.pk, "killed-3")
    killed.refresh_from_db()
    assert killed.status == ImportStatus.FAILED  # ended by the task's second run, not left running for ever
    assert (killed.created, killed.updated) == (0, 0)
    assert list(killed.rejections.values_list("code", flat=True)) == ["interrupted"]
    (applied,) = ImportBatch.objects.filter(source=source).exclude(pk=killed.pk)
    assert applied.status == ImportStatus.APPLIED
    assert (applied.total, applied.created, applied.updated, applied.rejected) == (ROWS, ROWS - 1, 1, 0)
    assert DBTaskResult.objects.get(pk=task.pk).return_value == applied.pk
    # Every row once: one person per ID number, the known one updated rather than doubled.
    assert Person.objects.count() == people_before + ROWS - 1
    assert people_with_id_numbers(ids).count() == ROWS
    known.refresh_from_db()
    assert known.phone == f"137{KNOWN_ROW:08d}"
    assert not Change.objects.filter(source_kind=SourceKind.IMPORT, source_ref=str(killed.pk)).exists()
    assert Change.objects.filter(source_kind=SourceKind.IMPORT, source_ref=str(applied.pk)).exists()
