"""The MQTT wire: a subscriber on ``<prefix>/<device code>/messages`` that hands batches to ``ingest.ingest_batch``.

Nothing is lost and nothing doubled across restarts of the listener or the broker:

- a fixed client id and a persistent session (MQTT 3.1.1, clean session off: the broker keeps the session until the
  client comes back with clean session on), QoS 1: while the listener is away the broker keeps its messages;
- ``manual_ack``: a message is acknowledged only after the transaction holding its row has committed, so a listener
  that dies before that gets it again, and the (device, type, at) constraint turns the redelivery into a duplicate;
- batches: up to ``batch`` messages (or what arrived within ``linger`` seconds) in one transaction, then their
  acknowledgements in the order they came (MQTT asks for that order);
- a database that fails keeps the batch in hand, unacknowledged, and retries it; the listener never stops on a bad
  message (those are refused and counted by the contract, and acknowledged).

The broker's own limits decide how much it keeps for an absent listener (mosquitto: ``max_queued_messages``, default
1000: set it to 0 or high enough for the longest outage) and how many unacknowledged messages it sends at once
(mosquitto: ``max_inflight_messages``, default 20: a batch can hold no more than that, so set it to the batch size or
more).

Why MQTT 3.1.1 and not 5: nothing here needs a feature of 5 (the persistent session of 3.1.1 is the same guarantee
as 5's clean start off with a session that never expires), and paho builds a ``Properties`` object for every MQTT 5
PUBLISH, about 40% of its network thread, which shares the GIL with the writing thread.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from django.db import close_old_connections, connections
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from .ingest import Incoming, ingest_batch
from .mqtt_client import BulkClient

log = logging.getLogger(__name__)

# paho reads one packet per select() and several recv() calls per packet, each giving up the GIL; with the writing
# thread busy, each takeback waits out the interpreter's switch interval (5 ms by default), and receiving, not the
# database, becomes the limit. The listener's own process hands the GIL back sooner.
SWITCH_INTERVAL = 0.0005


def tune_process() -> None:
    """For the listener's own process (``manage.py device_listener``, the benchmark): a shorter switch interval."""
    sys.setswitchinterval(SWITCH_INTERVAL)


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> Broker:
        parsed = urlparse(url if "://" in url else f"mqtt://{url}")
        if parsed.scheme not in ("mqtt", "tcp") or not parsed.hostname:
            raise ValueError(f"not an mqtt:// URL: {url!r}")
        return cls(parsed.hostname, parsed.port or 1883, parsed.username, parsed.password)


def topic_filter(prefix: str) -> str:
    return f"{prefix.rstrip('/')}/+/messages"


def code_of(topic: str, prefix: str) -> str:
    """``<prefix>/<code>/messages`` -> code (the subscription only delivers topics of that shape)."""
    rest = topic[len(prefix.rstrip("/")) + 1 :]
    return rest.rsplit("/", 1)[0]


class Listener:
    def __init__(
        self,
        broker: Broker,
        *,
        client_id: str,
        prefix: str,
        batch: int = 1000,
        linger: float = 0.05,
    ) -> None:
        self.broker, self.prefix, self.batch, self.linger = broker, prefix, batch, linger
        # (connection number, message): an acknowledgement goes only to the connection that delivered the message;
        # after a reconnect the broker sends what was not acknowledged again, and that copy is acknowledged instead.
        self.inbox: queue.Queue[tuple[int, mqtt.MQTTMessage]] = queue.Queue()
        self.generation = 0
        self.stop = threading.Event()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.processed = 0  # messages committed and acknowledged (for tests and the benchmark)
        client = BulkClient(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv311,
            clean_session=False,
            manual_ack=True,
        )
        if broker.username:
            client.username_pw_set(broker.username, broker.password)
        client.reconnect_delay_set(min_delay=1, max_delay=5)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        self.client = client

    # --- the network thread (paho's loop) -------------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("device listener: broker refused the connection: %s", reason_code)
            return
        self.generation += 1
        self.connected.set()
        log.info("device listener: connected (session present: %s)", flags.session_present)
        # Subscribing again on a kept session is harmless and covers a broker that lost it.
        client.subscribe(topic_filter(self.prefix), qos=1)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        self.subscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        if not self.stop.is_set():
            log.warning("device listener: disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        self.inbox.put((self.generation, message))

    # --- the worker: batches, commits, acknowledgements ------------------------------------------------------

    def connect(self) -> None:
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()

    def _take(self) -> list[tuple[int, mqtt.MQTTMessage]]:
        try:
            first = self.inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        taken = [first]
        deadline = time.monotonic() + self.linger
        while len(taken) < self.batch:
            try:
                taken.append(self.inbox.get_nowait())
            except queue.Empty:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    taken.append(self.inbox.get(timeout=left))
                except queue.Empty:
                    break
        return taken

    def handle(self, taken: list[tuple[int, mqtt.MQTTMessage]]) -> None:
        """Commit the batch (retrying while the database fails), then acknowledge it in order."""
        items = [Incoming(code=code_of(m.topic, self.prefix), body=bytes(m.payload), wire="mqtt") for _g, m in taken]
        delay = 0.5
        while True:
            try:
                ingest_batch(items)
                break
            except Exception:  # the database is away or failing: keep the batch, unacknowledged, and retry
                log.exception("device listener: a batch of %s could not be recorded; retrying", len(items))
                close_old_connections()
                if self.stop.wait(delay):
                    return  # stopping: the broker redelivers what was not acknowledged
                delay = min(delay * 2, 10)
        self.acknowledge(taken)

    def acknowledge(self, taken: list[tuple[int, mqtt.MQTTMessage]]) -> None:
        if self.connected.is_set():
            self.client.ack_many(m.mid for generation, m in taken if generation == self.generation and m.qos == 1)
        self.processed += len(taken)

    def run(self) -> None:
        self.connect()
        try:
            while not self.stop.is_set():
                taken = self._take()
                if taken:
                    self.handle(taken)
        finally:
            self.client.disconnect()
            self.client.loop_stop()
            connections.close_all()  # this thread's own connections

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="shequ-device-listener", daemon=True)
        thread.start()
        return thread
