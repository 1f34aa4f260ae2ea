"""The HTTP wire of the one contract: each message type, duplicates, and a bad message of every kind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from shequ.core import clock
from shequ.devices import actions
from shequ.devices.ingest import sign
from shequ.devices.models import Alarm, Device, DeviceStatus, Message, Refusal
from shequ.events.models import Event

from .conftest import iso, post

pytestmark = pytest.mark.django_db

# One valid message of every type, from the device type that sends it.
VALID = {
    "access_door": {"type": "access", "method": "face", "door": "东门", "person_ref": "P1001"},
    "vehicle_gate": {"type": "plate", "plate": "粤B12345", "direction": "in"},
    "smoke_detector": {"type": "smoke", "level": "normal"},
    "gas_detector": {"type": "gas", "value": 3.5, "unit": "%LEL"},
    "lift_camera": {"type": "ebike", "detected": False},
    "falling_object_camera": {"type": "falling_object", "floor": 12, "snapshot": "vendor://img/1", "confidence": 0.2},
    "water_meter": {"type": "reading", "value": 123.4, "unit": "m3"},
    "power_meter": {"type": "reading", "value": 4567.8, "unit": "kWh"},
    "door_magnet": {"type": "door", "state": "open"},
    "motion_sensor": {"type": "motion", "detected": True},
    "emergency_button": {"type": "heartbeat", "battery": 80},
}


def test_it_records_one_message_of_every_type(site):
    client = Client()
    now = clock.now()
    for kind, payload in VALID.items():
        resp = post(client, site, kind, {**payload, "at": iso(now)})
        assert resp.status_code == 202, (kind, resp.content)
        assert resp.json()["status"] == "recorded"
        message = Message.objects.get(pk=resp.json()["id"])
        expected = {k: v for k, v in payload.items() if k != "type"}
        assert (message.device.type, message.type, message.wire) == (kind, payload["type"], "http")
        assert expected.items() <= message.data.items()  # with the type's defaults filled in
    seen = Device.objects.filter(last_seen_at__isnull=False).count()
    assert seen == len(VALID)
    # Only the falling-object rule (any detection) matches one of these.
    event = Event.objects.get()
    assert (event.channel, event.category, event.description.startswith("【高空抛物】")) == (
        "device",
        site.public,
        True,
    )
    assert "vendor://img/1" in event.description  # the snapshot reference, for whoever handles it


def test_a_duplicate_delivery_is_recorded_once(site):
    client = Client()
    at = clock.now().replace(microsecond=0)
    first = post(client, site, "smoke_detector", {"type": "smoke", "level": "alarm", "at": iso(at)})
    utc = at.astimezone(tz=None).isoformat()  # the same instant written another way
    again = post(client, site, "smoke_detector", {"type": "smoke", "level": "alarm", "at": utc})
    zulu = post(client, site, "smoke_detector", {"type": "smoke", "level": "alarm",
                                                 "at": at.strftime("%Y-%m-%dT%H:%M:%SZ")})  # fmt: skip
    assert first.json()["status"] == "recorded"
    assert again.status_code == zulu.status_code == 202
    assert again.json() == zulu.json() == {"status": "duplicate", "id": None}
    assert Message.objects.filter(type="smoke").count() == 1
    assert Event.objects.count() == 1 and Alarm.objects.count() == 1


BAD = [
    ("unknown_device", 404),
    ("bad_key", 401),
    ("bad_signature", 401),
    ("bad_json", 400),
    ("bad_field", 422),
]


@pytest.mark.parametrize(("code", "status"), BAD)
def test_a_bad_message_is_refused_counted_and_creates_nothing(site, code, status):
    client = Client()
    smoke = site.device("smoke_detector")
    key = site.keys[smoke.code]
    body = f'{{"type": "smoke", "at": "{iso(clock.now())}", "level": "alarm"}}'
    url, headers = f"/api/devices/{smoke.code}/messages", {"HTTP_X_DEVICE_KEY": key}
    if code == "unknown_device":
        url = "/api/devices/NO-SUCH/messages"
    elif code == "bad_key":
        headers = {"HTTP_X_DEVICE_KEY": "wrong"}
    elif code == "bad_signature":
        actions.new_key(smoke, by=site.world.admin, signing=True)  # now it must sign: the old key is gone too
        key, _secret = actions.new_key(smoke, by=site.world.admin, signing=True)
        headers = {"HTTP_X_DEVICE_KEY": key, "HTTP_X_DEVICE_SIGNATURE": sign(body.encode(), "not-the-secret")}
    elif code == "bad_json":
        body = body[:-3]
    else:
        body = body.replace('"alarm"', '"burning"')
    resp = client.post(url, body, content_type="application/json", **headers)
    assert resp.status_code == status
    assert resp.json()["code"] == code and resp.json()["message"]
    assert not Message.objects.exists() and not Alarm.objects.exists() and not Event.objects.exists()
    counted = Refusal.objects.get(code=code)
    assert counted.count == 1 and counted.device_code == ("(unknown)" if code == "unknown_device" else smoke.code)
    assert Device.objects.get(pk=smoke.pk).last_seen_at is None


def test_a_signed_message_passes(site):
    client = Client()
    smoke = site.device("smoke_detector")
    key, secret = actions.new_key(smoke, by=site.world.admin, signing=True)
    body = f'{{"type": "heartbeat", "at": "{iso(clock.now())}"}}'.encode()
    resp = client.post(
        f"/api/devices/{smoke.code}/messages", body, content_type="application/json",
        HTTP_X_DEVICE_KEY=key, HTTP_X_DEVICE_SIGNATURE=sign(body, secret),
    )  # fmt: skip
    assert resp.status_code == 202 and resp.json()["status"] == "recorded"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": "smoke", "level": "alarm", "at": None}, "at"),  # no time
        ({"type": "smoke", "level": "alarm", "at": "2026-12-07T08:00:00"}, "at"),  # no offset
        ({"type": "smoke", "level": "alarm", "at": "tomorrow"}, "at"),
        ({"type": "plate", "plate": "粤B12345", "direction": "in"}, "type"),  # a smoke detector reads no plates
        ({"type": "nonsense"}, "type"),
        ({"type": "smoke", "level": "alarm", "face_image": "base64..."}, "face_image"),  # unknown fields refused
        ({"type": "smoke", "level": 1}, "level"),
    ],
)
def test_a_wrong_field_names_the_field(site, payload, field):
    payload = {"at": iso(clock.now()), **payload}
    if payload["at"] is None:
        del payload["at"]
    resp = post(Client(), site, "smoke_detector", payload)
    assert resp.status_code == 422 and resp.json()["code"] == "bad_field"
    assert resp.json()["field"] == field
    assert not Message.objects.exists()


def test_a_time_far_ahead_is_refused(site):
    resp = post(Client(), site, "smoke_detector", {"type": "heartbeat", "at": iso(clock.now() + timedelta(hours=2))})
    assert resp.status_code == 422 and resp.json()["field"] == "at"


def test_a_retired_device_is_unknown(site):
    smoke = site.device("smoke_detector")
    actions.retire(smoke, by=site.world.admin)
    resp = post(Client(), site, "smoke_detector", {"type": "heartbeat", "at": iso(clock.now())})
    assert resp.status_code == 404 and resp.json()["code"] == "unknown_device"
    assert Device.objects.get(pk=smoke.pk).status == DeviceStatus.RETIRED
