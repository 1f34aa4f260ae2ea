"""Rules -> cases: events through report(), folding of repeats, the quiet window, the daily limit, emergencies that
reach the dwelling at once, notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from shequ.alerts import queries as alert_queries
from shequ.alerts.models import Alert, Delivery, DeliveryChannel
from shequ.core import clock
from shequ.devices.models import Alarm, Outcome
from shequ.events.models import Channel, Event, Status, TimelineEntry

from .conftest import iso, post

pytestmark = pytest.mark.django_db


def smoke(client, site, at, level="alarm"):
    return post(client, site, "smoke_detector", {"type": "smoke", "level": level, "at": iso(at),
                                                 "snapshot": "vendor://smoke/1"})  # fmt: skip


def test_a_smoke_alarm_becomes_an_event_and_reaches_the_dwelling_at_once(site):
    w = site.world
    resp = smoke(Client(), site, clock.now())
    assert resp.status_code == 202
    event = Event.objects.get()
    assert (event.channel, event.category, event.level, event.status) == (
        Channel.DEVICE, site.fire, w.urgent, Status.REPORTED
    )  # fmt: skip
    assert (event.grid_id, event.community_id, event.address) == (w.g1.pk, w.c1.pk, "一网格幸福路5栋 502")
    assert "SD-001" in event.description and "vendor://smoke/1" in event.description
    alarm = Alarm.objects.get()
    assert (alarm.outcome, alarm.event, alarm.count) == (Outcome.EVENT, event, 1)
    # The resident's portal banner and an SMS; the grid worker's SMS.
    alert = Alert.objects.get()
    rows = set(Delivery.objects.values_list("person_id", "channel", "address"))
    assert rows == {
        (site.elder.pk, DeliveryChannel.IN_APP, ""),
        (site.elder.pk, DeliveryChannel.SMS, "13800000502"),
        (None, DeliveryChannel.SMS, "13900000001"),
    }
    assert alert_queries.banner_for(w.resident) == alert
    assert "烟感报警" in alert.headline


def test_a_normal_reading_makes_nothing(site):
    smoke(Client(), site, clock.now(), level="normal")
    assert not Event.objects.exists() and not Alarm.objects.exists() and not Alert.objects.exists()


def test_repeats_fold_into_the_open_event(site):
    client, now = Client(), clock.now()
    for n in range(30):
        smoke(client, site, now - timedelta(seconds=30 - n))
    event = Event.objects.get()
    assert Alarm.objects.filter(outcome=Outcome.EVENT).get().count == 30
    assert Alarm.objects.filter(outcome=Outcome.FOLDED, event=event).count() == 29
    assert TimelineEntry.objects.filter(event=event, action="repeat").count() == 29
    assert Event.objects.get(pk=event.pk).status == Status.REPORTED
    assert Alert.objects.count() == 1  # one call to the dwelling, not thirty


def test_the_quiet_window_then_a_new_event(site):
    client, start = Client(), clock.now()
    smoke(client, site, start - timedelta(minutes=1))
    first = Event.objects.get()
    Event.objects.filter(pk=first.pk).update(status=Status.CLOSED)  # handled and closed by the loop
    smoke(client, site, start - timedelta(seconds=30))
    assert Alarm.objects.order_by("-id").first().outcome == Outcome.QUIET
    assert Event.objects.count() == 1
    with clock.frozen(start + timedelta(minutes=31)):  # the rule's window is 30 minutes
        smoke(client, site, start + timedelta(minutes=31))
    assert Event.objects.count() == 2
    assert Alarm.objects.order_by("-id").first().outcome == Outcome.EVENT


def test_the_daily_limit(site):
    rule = site.rules["smoke"]
    rule.quiet_minutes = 0
    rule.save()
    client, now = Client(), clock.now()
    for n in range(4):
        smoke(client, site, now - timedelta(seconds=10 - n))
        Event.objects.update(status=Status.CLOSED)
    outcomes = list(Alarm.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == [Outcome.EVENT, Outcome.EVENT, Outcome.EVENT, Outcome.LIMITED]  # daily_limit 3
    assert Event.objects.count() == 3


@pytest.mark.parametrize(("value", "made"), [(20, False), (20.5, True)])
def test_gas_above_the_threshold(site, value, made):
    post(Client(), site, "gas_detector", {"type": "gas", "value": value, "at": iso(clock.now())})
    assert Event.objects.exists() == made
    assert Alert.objects.exists() == made  # an emergency at the dwelling


def test_the_emergency_button(site):
    post(Client(), site, "emergency_button", {"type": "button", "at": iso(clock.now())})
    event = Event.objects.get()
    assert event.category == site.fire and Alert.objects.count() == 1


def test_an_ebike_in_the_lift_notifies_only(site):
    post(
        Client(),
        site,
        "lift_camera",
        {"type": "ebike", "detected": True, "snapshot": "v://e/1", "at": iso(clock.now())},
    )
    assert not Event.objects.exists()
    assert Alarm.objects.get().outcome == Outcome.NOTIFIED
    phones = set(Delivery.objects.values_list("address", flat=True))
    assert phones == {"13900000001", "13700000001"}  # the grid worker and the owner's contact
    assert not Delivery.objects.filter(person__isnull=False).exists()  # a public spot: no residents


def test_a_rule_for_another_device_type_does_not_match(site):
    rule = site.rules["smoke"]
    rule.device_type = "gas_detector"
    rule.save()
    from shequ.devices import alarms

    alarms.invalidate()
    smoke(Client(), site, clock.now())
    assert not Alarm.objects.exists()
