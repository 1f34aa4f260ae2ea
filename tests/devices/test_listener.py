"""The MQTT wire with a real broker (a mosquitto of the test's own): every kind of message, bad ones refused while
the listener goes on, and restarts of the listener and of the broker mid-stream with nothing lost, nothing doubled."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest

from shequ.core import clock
from shequ.devices import testing
from shequ.devices.ingest import ingest_batch
from shequ.devices.listener import Broker, Listener
from shequ.devices.models import Alarm, Message, Outcome, Refusal
from shequ.events.models import Event, TimelineEntry

from .conftest import iso
from .mqtt import Publisher, need_mosquitto, settle, wait_for
from .test_ingest import VALID

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker(tmp_path):
    need_mosquitto()
    b = testing.Mosquitto(tmp_path / "broker").start()
    yield b
    b.stop()


@pytest.fixture
def prefix(request) -> str:
    return f"test/{request.node.name[:30]}-{uuid.uuid4().hex[:6]}/devices"


def listener_for(broker, prefix: str, client_id: str, **kwargs) -> Listener:
    return Listener(Broker.from_url(broker.url), client_id=client_id, prefix=prefix, **kwargs)


def start(listener: Listener) -> threading.Thread:
    thread = listener.start_in_thread()
    wait_for(listener.subscribed.is_set, what="the listener to subscribe")
    return thread


def finish(listener: Listener, thread: threading.Thread) -> None:
    listener.stop.set()
    thread.join(timeout=10)


def stream(site, n: int) -> list[tuple[str, dict]]:
    """n messages: heartbeats from every device, every 25th a smoke alarm (one event, folded)."""
    base = clock.now() - timedelta(minutes=5)
    codes = [d.code for d in site.devices.values()]
    smoke = site.device("smoke_detector").code
    out = []
    for i in range(n):
        at = iso(base + timedelta(milliseconds=i))
        if i % 25 == 0:
            out.append((smoke, {"type": "smoke", "level": "alarm", "at": at}))
        else:
            out.append((codes[i % len(codes)], {"type": "heartbeat", "at": at}))
    return out


def assert_exactly_once(messages: list[tuple[str, dict]]) -> None:
    assert Message.objects.count() == len(messages)
    alarms = sum(1 for _c, m in messages if m["type"] == "smoke")
    assert Event.objects.count() == 1
    case = Alarm.objects.get(outcome=Outcome.EVENT)
    assert case.count == alarms
    assert TimelineEntry.objects.filter(action="repeat").count() == alarms - 1


def test_every_type_and_every_bad_message_over_mqtt(site, broker, prefix):
    listener = listener_for(broker, prefix, f"test-listener-{uuid.uuid4().hex[:6]}")
    thread = start(listener)
    pub = Publisher(broker.port, prefix)
    try:
        now = clock.now()
        pub.send("NO-SUCH", {"type": "heartbeat", "at": iso(now)})
        pub.send(site.device("smoke_detector").code, b"{not json")
        pub.send(site.device("smoke_detector").code, {"type": "smoke", "level": "burning", "at": iso(now)})
        for kind, payload in VALID.items():
            pub.send(site.devices[kind].code, {**payload, "at": iso(now)})
        pub.send(site.devices["vehicle_gate"].code, {**VALID["vehicle_gate"], "at": iso(now)})  # redelivered
        wait_for(lambda: listener.processed >= 3 + len(VALID) + 1, what="the listener")
    finally:
        pub.close()
        finish(listener, thread)
    assert Message.objects.count() == len(VALID)
    assert set(Message.objects.values_list("wire", flat=True)) == {"mqtt"}
    counted = {(r.device_code, r.code): r.count for r in Refusal.objects.all()}
    assert counted == {("(unknown)", "unknown_device"): 1, ("SD-001", "bad_json"): 1, ("SD-001", "bad_field"): 1}


class CrashingListener(Listener):
    """Dies after committing a batch and before acknowledging it: the worst moment."""

    crash_after = 150

    def acknowledge(self, taken) -> None:
        if self.processed + len(taken) >= self.crash_after:
            self.stop.set()
            self.client.disconnect()  # gone without a single acknowledgement for this batch
            return
        super().acknowledge(taken)


def test_the_listener_restarted_mid_stream_loses_and_doubles_nothing(site, broker, prefix):
    messages = stream(site, 600)
    client_id = f"test-listener-{uuid.uuid4().hex[:6]}"
    first = CrashingListener(Broker.from_url(broker.url), client_id=client_id, prefix=prefix, batch=40)
    thread = start(first)
    pub = Publisher(broker.port, prefix)
    for code, payload in messages:
        pub.send(code, payload)
    thread.join(timeout=30)
    assert first.stop.is_set()
    recorded = Message.objects.count()
    assert 0 < recorded < len(messages)  # it died mid-stream, with a committed batch never acknowledged
    second = listener_for(broker, prefix, client_id, batch=40)
    thread = start(second)
    try:
        # Only the listener's own counter while it runs: SQLite's shared in-memory test database locks whole tables.
        wait_for(lambda: second.processed >= len(messages) - recorded, what="every message")
        settle(lambda: second.processed)
    finally:
        pub.close()
        finish(second, thread)
    assert second.processed > len(messages) - recorded  # the unacknowledged batch came again ...
    assert_exactly_once(messages)  # ... and was recorded once


def test_the_broker_restarted_mid_stream_loses_and_doubles_nothing(site, broker, prefix):
    messages = stream(site, 600)
    listener = listener_for(broker, prefix, f"test-listener-{uuid.uuid4().hex[:6]}", batch=40)
    thread = start(listener)
    pub = Publisher(broker.port, prefix)
    try:
        for code, payload in messages[:300]:
            pub.send(code, payload)
        broker.restart()  # SIGTERM while messages are queued and in flight, then up again on the same port
        wait_for(pub.client.is_connected, what="the publisher to reconnect")
        for code, payload in messages[300:]:
            pub.send(code, payload)
        wait_for(lambda: listener.processed >= len(messages), what="every message")
        settle(lambda: listener.processed)
    finally:
        pub.close()
        finish(listener, thread)
    assert listener.generation >= 2  # it did reconnect
    assert_exactly_once(messages)


def test_a_failing_database_keeps_the_batch_unacknowledged(site, broker, prefix, monkeypatch):
    calls = {"n": 0}

    def flaky(items):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database away")
        return ingest_batch(items)

    monkeypatch.setattr("shequ.devices.listener.ingest_batch", flaky)
    listener = listener_for(broker, prefix, f"test-listener-{uuid.uuid4().hex[:6]}")
    thread = start(listener)
    pub = Publisher(broker.port, prefix)
    try:
        pub.send(site.device("smoke_detector").code, {"type": "heartbeat", "at": iso(clock.now())})
        wait_for(lambda: listener.processed == 1, what="the retried batch")
    finally:
        pub.close()
        finish(listener, thread)
    assert calls["n"] == 2 and Message.objects.count() == 1
