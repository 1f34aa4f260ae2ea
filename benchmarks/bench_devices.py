#!/usr/bin/env python
"""Device ingestion over MQTT: messages per second through ``device_listener``'s Listener (the rules applied,
rows committed, acknowledged after commit) beside a bare paho-mqtt subscriber receiving the same number of messages
from the same broker (a Mosquitto of its own) in the same run; and the alarm-to-event time (publish -> the event's
row committed), median and p99.

    .venv/bin/python benchmarks/bench_devices.py [--db sqlite|postgres] [--messages N] [--alarms N]

Both receivers find the messages already queued for their persistent sessions, so each measures receiving, not the
publisher. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

DEFAULT_PG_URL = os.environ.get("SHEQU_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/h7bench_devices")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--pg-url", default=DEFAULT_PG_URL, help="a database the benchmark may drop and create")
    p.add_argument("--messages", type=int, default=50_000)
    p.add_argument("--alarms", type=int, default=100)
    p.add_argument("--devices", type=int, default=200)
    return p.parse_args()


def publish_all(port: int, prefix: str, messages: list[tuple[str, bytes]]) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"bench-pub-{uuid.uuid4().hex[:6]}",
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    client.max_queued_messages_set(0)
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    infos = [client.publish(f"{prefix}/{code}/messages", body, qos=1) for code, body in messages]
    for info in infos:
        info.wait_for_publish(timeout=60)
    client.disconnect()
    client.loop_stop()


def _client(client_id: str, v5: bool):
    """A subscriber on a persistent session: MQTT 5 (clean start off, a session that never expires) or 3.1.1 (clean
    session off, as the listener)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    if v5:
        return mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id,
                           protocol=MQTTProtocolVersion.MQTTv5)  # fmt: skip
    return mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id,
                       protocol=MQTTProtocolVersion.MQTTv311, clean_session=False)  # fmt: skip


def _connect(client, port: int, v5: bool) -> None:
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    if not v5:
        client.connect("127.0.0.1", port)
        return
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 0xFFFFFFFF
    props.ReceiveMaximum = 5000
    client.connect("127.0.0.1", port, clean_start=False, properties=props)


def subscribe_session(port: int, client_id: str, prefix: str, v5: bool) -> None:
    """Create a persistent session subscribed to the prefix, then leave: the broker queues for it."""
    done = threading.Event()
    client = _client(client_id, v5)
    client.on_subscribe = lambda *a: done.set()
    _connect(client, port, v5)
    client.loop_start()
    client.subscribe(f"{prefix}/+/messages", qos=1)
    done.wait(10)
    client.disconnect()
    client.loop_stop()


def bare_receive(port: int, client_id: str, n: int, v5: bool) -> float:
    """A bare paho subscriber on the same kind of session: seconds to receive (and acknowledge) n messages."""
    got = {"n": 0}
    done = threading.Event()

    def on_message(client, userdata, message) -> None:
        got["n"] += 1
        if got["n"] >= n:
            done.set()

    client = _client(client_id, v5)
    client.on_message = on_message
    started = time.perf_counter()
    _connect(client, port, v5)
    client.loop_start()
    done.wait(600)
    elapsed = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return elapsed


def make_site(n: int) -> dict:
    """One grid, one building with n dwellings, a smoke detector in each, the smoke rule; half the devices also
    have a gate, a door and a meter (the heartbeats come from all of them)."""
    from shequ.devices import actions
    from shequ.devices.actions import DeviceInput, RuleInput
    from shequ.events.models import Category, Level
    from shequ.geo import index
    from shequ.geo.models import Building, Dwelling, Region

    x, y = 114.05, 22.54
    box = {"type": "Polygon", "coordinates": [[[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]]}
    d = Region.objects.create(code="440304", name="示范区", level="district", boundary=box)
    s = Region.objects.create(code="440304001", name="街道", level="street", parent=d, boundary=box)
    c = Region.objects.create(code="440304001001", name="社区", level="community", parent=s, boundary=box)
    g = Region.objects.create(code="440304001001001", name="网格", level="grid", parent=c, boundary=box)
    index.invalidate()
    level = Level.objects.create(code="critical", name="特急", rank=3, default_amount=2, default_unit="hours")
    group = Category.objects.create(code="04", name="突发事件")
    fire = Category.objects.create(code="0405", name="火情", parent=group, default_level=level)
    actions.save_rule(by=None, data=RuleInput(name="烟感报警", message_type="smoke", field="level", operator="eq",
                                              value="alarm", category=fire, level=level, emergency=True))  # fmt: skip
    building = Building.objects.create(grid=g, name="1栋", address="示范路1号1栋", lon=x + 0.005, lat=y + 0.005)
    codes, smoke = [], []
    for i in range(n):
        dwelling = Dwelling.objects.create(building=building, floor=1 + i // 10, room=f"{1 + i // 10}{i % 10:02d}")
        device, _key = actions.create_device(by=None, data=DeviceInput(
            code=f"B-SD-{i:04d}", name="烟感", type="smoke_detector", building=building, dwelling=dwelling,
            owner_kind="community"))  # fmt: skip
        codes.append(device.code)
        smoke.append(device.code)
    return {"codes": codes, "smoke": smoke}


def main() -> int:
    args = parse_args()
    import bench_env

    var_dir = Path(tempfile.mkdtemp(prefix="shequ-bench-devices-"))
    if args.db == "postgres":
        if reason := bench_env.pg_unreachable_reason(args.pg_url):
            print(f"SKIPPED: {reason}")
            return 0
        bench_env.recreate_pg_database(args.pg_url)
    bench_env.prepare_environment(args.db, var_dir=var_dir, pg_url=args.pg_url)
    import django

    django.setup()
    bench_env.migrate()

    from shequ.devices import testing

    if not testing.available():
        print("SKIPPED: mosquitto is not installed")
        return 0
    site = make_site(args.devices)
    broker = testing.Mosquitto(var_dir / "broker").start()
    try:
        return run(args, site, broker)
    finally:
        broker.stop()
        if args.db == "postgres":
            from django.db import connections

            connections.close_all()
            bench_env.drop_pg_database(args.pg_url)


def run(args, site, broker) -> int:
    from django.db import connection
    from django.utils import timezone

    from shequ.core import clock
    from shequ.devices.listener import Broker, Listener, tune_process
    from shequ.events.models import Event

    codes = site["codes"]
    base = clock.now() - timezone.timedelta(hours=1)

    def heartbeat(i: int) -> bytes:
        at = (base + timezone.timedelta(milliseconds=i)).isoformat()
        return json.dumps({"type": "heartbeat", "at": at, "battery": 90}).encode()

    messages = [(codes[i % len(codes)], heartbeat(i)) for i in range(args.messages)]
    load_before = os.getloadavg()[0]

    # 1. the bare subscribers (MQTT 3.1.1, as the listener, and MQTT 5): messages queued for each one's session,
    # then received
    bare_seconds = {}
    for v5 in (False, True):
        bare_prefix, bare_id = f"bench/bare{int(v5)}/devices", f"bench-bare-{int(v5)}"
        subscribe_session(broker.port, bare_id, bare_prefix, v5)
        publish_all(broker.port, bare_prefix, messages)
        bare_seconds[v5] = bare_receive(broker.port, bare_id, len(messages), v5)

    # 2. the listener, the same way (rules applied to every message; heartbeats match none, alarms below do), in a
    # process tuned as manage.py device_listener tunes its own
    tune_process()
    prefix, client_id = "bench/listener/devices", "bench-listener"
    listener = Listener(Broker.from_url(broker.url), client_id=client_id, prefix=prefix)
    thread = listener.start_in_thread()
    listener.subscribed.wait(10)
    listener.stop.set()
    thread.join(10)
    publish_all(broker.port, prefix, messages)
    listener = Listener(Broker.from_url(broker.url), client_id=client_id, prefix=prefix)
    started = time.perf_counter()
    thread = listener.start_in_thread()
    while listener.processed < len(messages) and time.perf_counter() - started < 600:
        time.sleep(0.01)
    listener_seconds = time.perf_counter() - started

    # 3. alarm to event: one smoke alarm at a time, publish -> the event's row committed (seen from this thread)
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    pub = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="bench-alarms")
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()
    times = []
    for i in range(min(args.alarms, len(site["smoke"]))):
        code = site["smoke"][i]
        body = json.dumps({"type": "smoke", "level": "alarm", "at": clock.now().isoformat()})
        before = Event.objects.count()
        t0 = time.perf_counter()
        pub.publish(f"{prefix}/{code}/messages", body, qos=1)
        while Event.objects.count() == before:
            if time.perf_counter() - t0 > 30:
                break
            time.sleep(0.0005)
        times.append(time.perf_counter() - t0)
        connection.close()
    pub.loop_stop()
    listener.stop.set()
    thread.join(10)

    # 4. the writer alone: the same number of new heartbeats straight into ingest_batch in batches of 1,000 (no
    # broker): what the listener's writing thread costs a message, the other half of its ceiling
    from shequ.devices.ingest import Incoming, ingest_batch

    later = base + timezone.timedelta(minutes=30)
    items = [
        Incoming(code=codes[i % len(codes)], wire="mqtt",
                 body=json.dumps({"type": "heartbeat", "at": (later + timezone.timedelta(milliseconds=i)).isoformat(),
                                  "battery": 90}).encode())
        for i in range(len(messages))
    ]  # fmt: skip
    t0 = time.perf_counter()
    for start in range(0, len(items), 1000):
        ingest_batch(items[start : start + 1000])
    writer_rate = len(items) / (time.perf_counter() - t0)

    rate = len(messages) / listener_seconds
    bare_rate, bare5_rate = len(messages) / bare_seconds[False], len(messages) / bare_seconds[True]
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))] if times else float("nan")
    print(f"devices benchmark ({args.db}, {len(messages):,} messages, load {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores)")  # fmt: skip
    print(f"  bare paho subscriber, MQTT 3.1.1 (QoS 1, same broker): {bare_rate:10,.0f} msgs/s")
    print(f"  bare paho subscriber, MQTT 5 (QoS 1, same broker):     {bare5_rate:10,.0f} msgs/s")
    print(f"  device_listener (checked, deduped, rules, committed, acked): {rate:10,.0f} msgs/s")
    print(f"  ratio to the bare subscriber: {rate / bare_rate:.2f} (3.1.1), {rate / bare5_rate:.2f} (5)")
    print(f"  ingest_batch alone (1,000 a batch, no broker):      {writer_rate:10,.0f} msgs/s")
    if times:
        print(f"  alarm -> event committed ({len(times)} alarms):   median {statistics.median(times) * 1000:.1f} ms, "
              f"p99 {p99 * 1000:.1f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
