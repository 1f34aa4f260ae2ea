"""What a district-wide alert leans on (benchmarks/bench_alerts.py): the fan-out's own INSERT and a worker that keeps
sending while more is due."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from shequ.alerts import fanout
from shequ.alerts.management.commands import send_deliveries
from shequ.alerts.models import Alert, Delivery, DeliveryChannel, DeliveryStatus, OutboxMessage
from shequ.core import clock

from .conftest import approved

pytestmark = pytest.mark.django_db


def test_the_fan_out_insert_keeps_every_value_and_skips_existing_rows(world, staff_c1b, town):
    alert = approved(world.community_staff, staff_c1b, regions=[world.c1])
    at = clock.now().replace(microsecond=123456)
    with clock.frozen(at):
        assert fanout.fan_out(alert, chunk=2) == 7
    rows = list(Delivery.objects.filter(alert=alert))
    assert {r.created_at for r in rows} == {at}  # the timestamp round-trips to the microsecond, with its zone
    in_app = next(r for r in rows if r.channel == DeliveryChannel.IN_APP)
    assert (in_app.status, in_app.sent_at, in_app.delivered_at, in_app.next_attempt_at) == (
        DeliveryStatus.DELIVERED,
        at,
        at,
        None,
    )
    queued = [r for r in rows if r.channel != DeliveryChannel.IN_APP]
    assert {(r.status, r.next_attempt_at, r.attempts, r.last_error) for r in queued} == {
        (DeliveryStatus.QUEUED, at, 0, "")
    }
    # A second run (a worker finishing a fan-out it thinks was lost) adds nothing and fails on nothing.
    Delivery.objects.filter(alert=alert, channel=DeliveryChannel.VOICE, person=town.east).delete()
    assert fanout.fan_out(alert, chunk=2) == 1
    assert Delivery.objects.filter(alert=alert).count() == 7


class _Rested(Exception):
    pass


def test_the_worker_keeps_sending_while_rounds_send_something(world, staff_c1b, town, monkeypatch):
    # The first round sends fewer than its limit while more is due (as when other workers share the queue): one
    # row of a replaced alert is due first and fails, two of the new alert go out.
    earlier = approved(world.community_staff, staff_c1b, regions=[world.c1])
    alert = approved(world.community_staff, staff_c1b, regions=[world.c1])
    t0 = clock.now() - timedelta(minutes=1)
    with clock.frozen(t0):
        fanout.fan_out(earlier)
    with clock.frozen(t0 + timedelta(seconds=1)):
        fanout.fan_out(alert)
    Alert.objects.filter(pk=earlier.pk).update(superseded_by=alert)
    replaced = Delivery.objects.filter(alert=earlier, status=DeliveryStatus.QUEUED)
    replaced.exclude(pk=replaced.order_by("pk").values_list("pk", flat=True).first()).delete()
    due = Delivery.objects.filter(alert=alert, status=DeliveryStatus.QUEUED).count()
    assert due == 6

    def rest(seconds: float) -> None:
        raise _Rested()  # stops the endless loop at its first rest

    monkeypatch.setattr(send_deliveries.time, "sleep", rest)
    # Between rounds the worker lets its connection go; here that connection holds the test's transaction.
    monkeypatch.setattr(send_deliveries, "close_old_connections", lambda: None)
    with pytest.raises(_Rested):
        call_command("send_deliveries", "--limit", "3", stdout=io.StringIO())
    # It rested only once a round sent nothing: everything due went out.
    assert OutboxMessage.objects.filter(delivery__alert=alert).count() == due
    assert not Delivery.objects.filter(status=DeliveryStatus.QUEUED).exists()


def test_a_running_fan_out_is_left_to_its_task_until_it_stalls(world, staff_c1b, town):
    alert = approved(world.community_staff, staff_c1b, regions=[world.c1])
    t0 = alert.approved_at
    with clock.frozen(t0 + timedelta(seconds=5)):
        assert alert not in fanout.alerts_to_fan_out()  # just approved: its fan_out_alert task has it
    # The task wrote a first row 50 s after the approval, then went quiet (the rest of a crashed fan-out).
    with clock.frozen(t0 + timedelta(seconds=50)):
        fanout.fan_out(alert)
    Alert.objects.filter(pk=alert.pk).update(fanned_out_at=None)
    first = Delivery.objects.filter(alert=alert).order_by("pk").first()
    Delivery.objects.filter(alert=alert).exclude(pk=first.pk).delete()
    with clock.frozen(t0 + timedelta(seconds=100)):
        assert alert not in fanout.alerts_to_fan_out()  # a row 50 s ago: still going
    with clock.frozen(t0 + timedelta(seconds=111)):
        assert list(fanout.alerts_to_fan_out()) == [alert]  # a minute without a row: lost, a worker takes over
