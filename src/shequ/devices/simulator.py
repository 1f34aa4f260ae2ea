"""Realistic traffic from the demo's devices: heartbeats, door openings, plates at the gates, meter readings, and now
and then an alarm (smoke, gas, an e-bike in a lift, a falling object), so alarms turn into events within a minute.

Over HTTP (``POST /api/devices/<code>/messages`` with each demo device's key, ``demo.devices.demo_key``) when no
broker is configured; over MQTT (QoS 1 on ``<prefix>/<code>/messages``) when ``SHEQU_MQTT_URL`` is set, for
``manage.py device_listener`` to record.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from shequ.core import clock

from .models import Device, DeviceStatus, DeviceType

log = logging.getLogger(__name__)

PLATES = "粤B"
ALARM_EVERY = 45  # seconds between alarms, on average


@dataclass
class Sent:
    ok: int = 0
    refused: int = 0


def demo_key(code: str) -> str:
    """The key of a demo device (the demo sets it; only demo devices have such keys): derived from the secret key."""
    return hmac.new(settings.SECRET_KEY.encode(), f"demo-device:{code}".encode(), hashlib.sha256).hexdigest()[:32]


class Simulator:
    def __init__(self, *, url: str = "", mqtt_url: str = "", seed: int = 1, prefix: str = "") -> None:
        self.url, self.mqtt_url = url.rstrip("/"), mqtt_url
        self.prefix = prefix or settings.SHEQU_MQTT_TOPIC_PREFIX
        self.random = random.Random(seed)
        self.sent = Sent()
        self.stop = threading.Event()
        self.session = requests.Session()
        self.client = None
        self.readings: dict[str, float] = {}
        self.inside: dict[str, list[str]] = {}
        if mqtt_url:
            import paho.mqtt.client as mqtt
            from paho.mqtt.enums import CallbackAPIVersion

            from .listener import Broker

            broker = Broker.from_url(mqtt_url)
            self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="shequ-simulator")
            self.client.connect(broker.host, broker.port)
            self.client.loop_start()

    # --- one message ------------------------------------------------------------------------------------------

    def send(self, device: Device, payload: dict) -> None:
        payload = {**payload, "at": timezone.localtime(clock.now()).isoformat(timespec="milliseconds")}
        body = json.dumps(payload, ensure_ascii=False).encode()
        if self.client is not None:
            self.client.publish(f"{self.prefix}/{device.code}/messages", body, qos=1)
            self.sent.ok += 1
            return
        try:
            response = self.session.post(
                f"{self.url}/api/devices/{device.code}/messages",
                data=body,
                headers={"Content-Type": "application/json", "X-Device-Key": demo_key(device.code)},
                timeout=10,
            )
        except requests.RequestException as e:
            log.warning("simulator: %s", e)
            self.sent.refused += 1
            return
        if response.status_code == 202:
            self.sent.ok += 1
        else:
            self.sent.refused += 1

    # --- what each kind of device says -------------------------------------------------------------------------

    def everyday(self, device: Device) -> dict | None:
        r = self.random
        kind = device.type
        if kind == DeviceType.ACCESS_DOOR:
            return {"type": "access", "method": r.choice(["card", "face", "qr"]), "door": device.spot or "单元门"}
        if kind == DeviceType.VEHICLE_GATE:
            inside = self.inside.setdefault(device.code, [])
            if inside and r.random() < 0.5:
                return {"type": "plate", "plate": inside.pop(r.randrange(len(inside))), "direction": "out"}
            plate = f"{PLATES}{r.randrange(10000, 99999)}"
            inside.append(plate)
            return {"type": "plate", "plate": plate, "direction": "in"}
        if kind in (DeviceType.WATER_METER, DeviceType.POWER_METER):
            value = self.readings.get(device.code, r.uniform(50, 500)) + r.uniform(0, 0.5)
            self.readings[device.code] = value
            return {
                "type": "reading",
                "value": round(value, 2),
                "unit": "m3" if kind == DeviceType.WATER_METER else "kWh",
            }
        if kind == DeviceType.MOTION_SENSOR:
            return {"type": "motion", "detected": r.random() < 0.7}
        if kind == DeviceType.GAS_DETECTOR:
            return {"type": "gas", "value": round(r.uniform(0, 3), 1)}
        if kind == DeviceType.SMOKE_DETECTOR:
            return {"type": "smoke", "level": "normal"}
        return None

    def alarm(self, device: Device) -> dict | None:
        snapshot = f"demo://snapshots/{device.code}/{int(time.time())}.jpg"
        return {
            DeviceType.SMOKE_DETECTOR: {"type": "smoke", "level": "alarm", "snapshot": snapshot},
            DeviceType.GAS_DETECTOR: {"type": "gas", "value": 35.0, "level": "alarm"},
            DeviceType.LIFT_CAMERA: {"type": "ebike", "detected": True, "confidence": 0.93, "snapshot": snapshot},
            DeviceType.FALLING_OBJECT_CAMERA: {"type": "falling_object", "floor": 9, "snapshot": snapshot},
        }.get(device.type)

    # --- the loop -----------------------------------------------------------------------------------------------

    def devices(self) -> list[Device]:
        return list(Device.objects.exclude(status=DeviceStatus.RETIRED).order_by("code"))

    def tick(self, devices: list[Device], *, heartbeats: bool, alarm: bool) -> None:
        for device in devices:
            if heartbeats:
                self.send(device, {"type": "heartbeat", "battery": self.random.randint(60, 100)})
            if self.random.random() < 0.2 and (payload := self.everyday(device)):
                self.send(device, payload)
        if alarm:
            candidates = [d for d in devices if self.alarm(d)]
            if candidates:
                device = self.random.choice(candidates)
                self.send(device, self.alarm(device) or {})
                log.info("simulator: alarm from %s", device.code)

    def run(self, *, seconds: float | None = None, every: float = 5.0, on_tick: Callable[[], None] | None = None):
        started = last_heartbeat = time.monotonic()
        last_heartbeat -= 60
        next_alarm = started + 10  # the first alarm soon after start: a newcomer sees one at once
        try:
            while not self.stop.is_set():
                now = time.monotonic()
                if seconds is not None and now - started >= seconds:
                    break
                devices = self.devices()
                close_old_connections()
                heartbeats = now - last_heartbeat >= 60
                alarm = now >= next_alarm
                self.tick(devices, heartbeats=heartbeats, alarm=alarm)
                if heartbeats:
                    last_heartbeat = now
                if alarm:
                    next_alarm = now + self.random.expovariate(1 / ALARM_EVERY)
                if on_tick:
                    on_tick()
                self.stop.wait(every)
        finally:
            if self.client is not None:
                self.client.loop_stop()
            close_old_connections()


def _wait_for(url: str, stop: threading.Event, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            requests.get(f"{url}/api/openapi.json", timeout=2)
            return
        except requests.RequestException:
            stop.wait(0.5)


def start_in_thread(*, url: str = "http://127.0.0.1:8000") -> threading.Event:
    """For ``manage.py serve`` in the demo (``SHEQU_SERVE_ALSO``): the simulator beside the web server."""
    simulator = Simulator(url=url, mqtt_url=settings.SHEQU_MQTT_URL)

    def run() -> None:
        if not simulator.mqtt_url:
            _wait_for(simulator.url, simulator.stop)
        simulator.run()

    threading.Thread(target=run, name="shequ-device-simulator", daemon=True).start()
    return simulator.stop
