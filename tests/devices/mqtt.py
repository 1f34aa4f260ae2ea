"""MQTT helpers for the device tests: a broker of the test's own (skipped without mosquitto, except under CI) and a
publisher that waits for the broker's acknowledgement of each message."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from shequ.devices import testing


def need_mosquitto() -> None:
    if not testing.available():
        message = "mosquitto is not installed (apt-get install mosquitto): the MQTT tests need a real broker"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


class Publisher:
    def __init__(self, port: int, prefix: str) -> None:
        self.prefix = prefix
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"test-pub-{uuid.uuid4().hex[:8]}",
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        wait_for(self.client.is_connected, what="the publisher to connect")

    def send(self, code: str, payload: dict | str | bytes) -> None:
        body = payload if isinstance(payload, bytes | str) else json.dumps(payload, ensure_ascii=False)
        info = self.client.publish(f"{self.prefix}/{code}/messages", body, qos=1)
        info.wait_for_publish(timeout=10)
        assert info.is_published(), "the broker did not acknowledge a message"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_for(condition: Callable[[], bool], *, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def settle(counter: Callable[[], int], *, quiet: float = 0.6, timeout: float = 20) -> None:
    """Wait until ``counter`` has not moved for ``quiet`` seconds (redeliveries done)."""
    deadline, last, since = time.monotonic() + timeout, counter(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = counter()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
    raise AssertionError("the listener did not settle")
