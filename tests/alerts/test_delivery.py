"""Fan-out and sending: idempotent rows, nothing sent twice (re-runs, a crash, a dead worker), back-off, stop rules."""

from __future__ import annotations

import io
from datetime import date, timedelta

import psycopg
import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from shequ.alerts import actions, answers, claims, fanout, sending
from shequ.alerts.models import Alert, Delivery, DeliveryChannel, DeliveryStatus, OutboxMessage
from shequ.core import clock
from shequ.core.errors import PermissionDenied
from shequ.registry import actions as registry

from .conftest import approved, draft

pytestmark = pytest.mark.django_db


def _key(row: tuple) -> tuple:
    return tuple("" if v is None else str(v) for v in row)


def _rows(alert: Alert) -> list[tuple]:
    rows = Delivery.objects.filter(alert=alert).values_list(
        "person_id", "organization_id", "channel", "address", "status"
    )
    return sorted(rows, key=_key)


def _c1_alert(world, staff_c1b) -> Alert:
    return approved(world.community_staff, staff_c1b, regions=[world.c1])


def test_it_fans_out_one_row_per_recipient_and_channel(world, staff_c1b, town):
    alert = _c1_alert(world, staff_c1b)
    assert fanout.fan_out(alert) == 7
    expected = [
        (town.reader.pk, None, "in_app", "", "delivered"),
        (town.reader.pk, None, "sms", "13800000001", "queued"),
        (town.reader.pk, None, "voice", "13800000001", "queued"),  # elderly, alone: a call as well
        (town.texter.pk, None, "sms", "13800000002", "queued"),
        (town.east.pk, None, "sms", "13800000004", "queued"),
        (town.east.pk, None, "voice", "13800000004", "queued"),
        (None, town.shop.pk, "sms", "0755-00000001", "queued"),
    ]
    assert _rows(alert) == sorted(expected, key=_key)
    grids = dict(Delivery.objects.filter(alert=alert, channel="sms").values_list("address", "grid_code"))
    assert grids == {
        "13800000001": world.g1.code,
        "13800000002": world.g1.code,
        "13800000004": world.g2.code,
        "0755-00000001": world.g1.code,
    }
    alert.refresh_from_db()
    assert alert.fanned_out_at is not None


def test_someone_working_in_the_area_gets_the_alert_under_the_workplaces_grid(world, staff_c1b, town):
    registry.employ(town.outside, town.shop, since=date(2024, 1, 1), by=None, source=registry.MANUAL)
    alert = _c1_alert(world, staff_c1b)
    assert alert.target_workers == 1
    assert fanout.fan_out(alert) == 8
    row = Delivery.objects.get(alert=alert, person=town.outside)
    assert (row.channel, row.address, row.grid_code) == ("sms", "13800000005", world.g1.code)
    assert fanout.fan_out(alert) == 0  # idempotent for workers too


def test_running_fan_out_twice_adds_nothing_and_sends_nothing_twice(world, staff_c1b, town):
    alert = _c1_alert(world, staff_c1b)
    fanout.fan_out(alert, chunk=1)
    assert sending.send_due() == 6
    before = _rows(alert)
    assert fanout.fan_out(alert, chunk=1) == 0
    assert sending.send_due() == 0
    assert _rows(alert) == before
    assert OutboxMessage.objects.count() == 6
    assert sorted(OutboxMessage.objects.values_list("delivery_id", flat=True)) == sorted(
        Delivery.objects.filter(alert=alert).exclude(channel="in_app").values_list("pk", flat=True)
    )


def test_a_crash_mid_way_resumes_without_duplicates(world, staff_c1b, town):
    alert = _c1_alert(world, staff_c1b)
    fanout.fan_out(alert, chunk=1)
    # The state a crash after the first chunks leaves: some rows made and partly sent, the alert not marked done.
    keep = list(Delivery.objects.filter(alert=alert, person=town.reader).values_list("pk", flat=True))
    Delivery.objects.filter(alert=alert).exclude(pk__in=keep).delete()
    Alert.objects.filter(pk=alert.pk).update(fanned_out_at=None)
    assert sending.send_due(limit=1) == 1
    first = OutboxMessage.objects.get()

    # A worker comes along once the fan-out has stalled: it finishes the fan-out and sends the rest, each once.
    out = io.StringIO()
    with clock.frozen(clock.now() + fanout.FAN_OUT_STALLED + timedelta(seconds=1)):
        call_command("send_deliveries", "--once", stdout=out)
    assert out.getvalue().strip() == "fanned out 4, sent 5"
    assert Delivery.objects.filter(alert=alert).count() == 7
    sent = list(OutboxMessage.objects.values_list("delivery_id", flat=True))
    assert len(sent) == len(set(sent)) == 6
    assert sent[0] == first.delivery_id
    assert set(Delivery.objects.filter(alert=alert).values_list("status", flat=True)) == {"sent", "delivered"}
    alert.refresh_from_db()
    assert alert.fanned_out_at is not None


def test_a_row_claimed_by_another_worker_is_not_sent(world, staff_c1b, town):
    alert = _c1_alert(world, staff_c1b)
    fanout.fan_out(alert)
    row = Delivery.objects.filter(alert=alert, channel="sms").first()
    Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.SENDING, claimed_at=clock.now())
    assert sending.send_one(row.pk) == ""
    assert not OutboxMessage.objects.filter(delivery=row).exists()


def test_a_row_left_sending_by_a_dead_worker_is_sent_again_once_its_claim_is_old(world, staff_c1b, town, settings):
    """A claim without a key (SQLite, where there are no advisory locks) is taken for lost by its age."""
    settings.SHEQU_ALERT_CLAIM_SECONDS = 60
    alert = _c1_alert(world, staff_c1b)
    fanout.fan_out(alert)
    row = Delivery.objects.filter(alert=alert, channel="sms").first()
    Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.SENDING, claimed_at=clock.now(), attempts=1)
    with clock.frozen(clock.now() + timedelta(seconds=30)):
        sending.send_due()
        assert Delivery.objects.get(pk=row.pk).status == DeliveryStatus.SENDING
        assert not OutboxMessage.objects.filter(delivery=row).exists()
    with clock.frozen(clock.now() + timedelta(seconds=61)):
        sending.send_due()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    assert OutboxMessage.objects.filter(delivery=row).count() == 1


def test_a_row_that_used_up_its_attempts_in_dead_workers_fails(world, staff_c1b, town, settings):
    settings.SHEQU_ALERT_CLAIM_SECONDS = 60
    alert = _c1_alert(world, staff_c1b)
    fanout.fan_out(alert)
    row = Delivery.objects.filter(alert=alert, channel="sms").first()
    Delivery.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=clock.now(), attempts=settings.SHEQU_ALERT_MAX_ATTEMPTS
    )
    with clock.frozen(clock.now() + timedelta(seconds=61)):
        assert sending.release_stale() == 1
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED
    assert "attempts used up" in row.last_error


def test_a_claim_whose_lock_is_free_is_given_back_at_once_and_a_held_one_is_not(world, staff_c1b, town):
    if connection.vendor != "postgresql":
        pytest.skip("claim locks are PostgreSQL advisory locks; SQLite goes by the claim's age (above)")
    alert = _c1_alert(world, staff_c1b)
    fanout.fan_out(alert)
    live, dead = Delivery.objects.filter(alert=alert, channel="sms")[:2]
    db = connection.settings_dict
    dsn = f"postgresql://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    with psycopg.connect(dsn) as worker:  # a live worker's connection holds its claim's lock
        worker.execute("SELECT pg_advisory_lock(%s, %s)", [claims._LOCK_SPACE, 7])
        now = clock.now()
        Delivery.objects.filter(pk=live.pk).update(status=DeliveryStatus.SENDING, claimed_at=now, claim_key=7)
        Delivery.objects.filter(pk=dead.pk).update(status=DeliveryStatus.SENDING, claimed_at=now, claim_key=8)
        assert sending.release_stale() == 1  # long before the claim timeout
    assert Delivery.objects.get(pk=live.pk).status == DeliveryStatus.SENDING
    dead.refresh_from_db()
    assert (dead.status, dead.claim_key) == (DeliveryStatus.QUEUED, None)
    assert "same idempotency key" in dead.last_error


def test_approval_enqueues_the_fan_out_after_commit(world, staff_c1b, town, django_capture_on_commit_callbacks):
    alert = actions.submit(draft(world.community_staff, regions=[world.c1]), by=world.community_staff)
    assert not Delivery.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        actions.approve(alert, by=staff_c1b)
        assert not Delivery.objects.exists()  # the fan-out waits for the commit
    # The immediate backend ran both tasks: rows made and the text messages sent.
    assert Delivery.objects.filter(alert=alert).count() == 7
    assert OutboxMessage.objects.count() == 6


def test_a_refused_approval_enqueues_nothing(world, django_capture_on_commit_callbacks, town):
    alert = actions.submit(draft(world.community_staff, regions=[world.c1]), by=world.community_staff)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(PermissionDenied):
        actions.approve(alert, by=world.community_staff)  # the composer: refused
    assert callbacks == []
    assert not Delivery.objects.exists()


def test_the_text_carries_the_headline_and_a_signed_answer_link(world, staff_c1b, town, settings):
    settings.SHEQU_PUBLIC_URL = "https://shequ.example.cn"
    alert = _c1_alert(world, staff_c1b)
    fanout.fan_out(alert)
    sending.send_due()
    sms = OutboxMessage.objects.get(to="13800000002", channel="sms")
    assert alert.headline in sms.text
    link = sms.text.split("https://shequ.example.cn", 1)[1]
    assert link.startswith("/alerts/ack/")
    token = link.removeprefix("/alerts/ack/").rstrip("/")
    assert answers.delivery_for_token(token) == sms.delivery
    voice = OutboxMessage.objects.get(to="13800000004", channel="voice")
    assert "/alerts/ack/" not in voice.text  # nobody can click a phone call


def test_email_goes_through_django_mail(world, staff_c1b, town):
    world.resident.email = "reader@example.cn"
    world.resident.save()
    alert = _c1_alert(world, staff_c1b)
    fanout.fan_out(alert)
    sending.send_due()
    assert [m.to for m in mail.outbox] == [["reader@example.cn"]]
    assert mail.outbox[0].subject == alert.headline
    assert "/alerts/ack/" in mail.outbox[0].body
    assert Delivery.objects.get(alert=alert, channel=DeliveryChannel.EMAIL).status == DeliveryStatus.SENT


def test_a_replaced_alert_stops_sending(world, staff_c1b, town):
    alert = _c1_alert(world, staff_c1b)
    fanout.fan_out(alert)
    update = actions.submit(actions.update(alert, by=world.community_staff), by=world.community_staff)
    actions.approve(update, by=staff_c1b)
    assert sending.send_due() == 0
    assert not OutboxMessage.objects.exists()
    assert set(Delivery.objects.filter(alert=alert).exclude(channel="in_app").values_list("status", flat=True)) == {
        "failed"
    }
    # The update itself goes out to the same people.
    assert fanout.fan_out(update) == 7


def test_a_draft_fans_out_nothing(world, town):
    alert = draft(world.community_staff, regions=[world.c1])
    assert fanout.fan_out(alert) == 0
    assert not Delivery.objects.exists()
