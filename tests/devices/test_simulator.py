"""The simulator: a round of traffic over HTTP to a live server, whose smoke alarm becomes an event."""

from __future__ import annotations

import pytest

from shequ.devices.ingest import hash_key
from shequ.devices.models import Alarm, Device, Message
from shequ.devices.simulator import Simulator, demo_key
from shequ.events.models import Channel, Event


@pytest.mark.django_db(transaction=True)
def test_the_simulator_sends_traffic_and_an_alarm_becomes_an_event(site, live_server):
    for device in Device.objects.all():
        Device.objects.filter(pk=device.pk).update(key_hash=hash_key(demo_key(device.code)))
    simulator = Simulator(url=live_server.url, seed=1)
    devices = simulator.devices()
    simulator.tick(devices, heartbeats=True, alarm=False)
    assert simulator.sent.refused == 0 and simulator.sent.ok >= len(devices)
    smoke = next(d for d in devices if d.type == "smoke_detector")
    simulator.send(smoke, simulator.alarm(smoke) or {})
    assert Message.objects.count() == simulator.sent.ok
    event = Event.objects.filter(channel=Channel.DEVICE, description__contains="烟感报警").get()
    assert smoke.code in event.description and Alarm.objects.filter(event=event).exists()
