"""Health (offline and back), the elderly rules of the sweep, retention of personal data, car parks and the watch
list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from shequ.alerts.models import Delivery
from shequ.audit.models import AuditEntry
from shequ.core import clock
from shequ.devices import actions, health, retention, sweep
from shequ.devices.models import Alarm, CarPark, Device, DeviceStatus, Message, Outcome, Task, TaskKind, TaskStatus
from shequ.devices.tasks import delete_expired_personal_data, sweep_devices

from .conftest import iso, post

pytestmark = pytest.mark.django_db


def test_a_silent_device_goes_offline_with_one_maintenance_task_and_comes_back(site):
    now = clock.now()
    smoke = site.device("smoke_detector")
    Device.objects.update(last_seen_at=now)  # every device heard just now ...
    Device.objects.filter(pk=smoke.pk).update(last_seen_at=now - timedelta(minutes=20))  # ... but this one
    assert health.mark_offline(now=now) == 1
    assert health.mark_offline(now=now + timedelta(minutes=1)) == 0  # once
    assert Device.objects.get(pk=smoke.pk).status == DeviceStatus.OFFLINE
    task = Task.objects.get()
    assert (task.kind, task.device, task.unit, task.status) == (
        TaskKind.MAINTENANCE, smoke, site.company, TaskStatus.OPEN
    )  # fmt: skip
    assert "SD-001" in task.title
    resp = post(Client(), site, "smoke_detector", {"type": "heartbeat", "at": iso(clock.now())})
    assert resp.status_code == 202
    assert Device.objects.get(pk=smoke.pk).status == DeviceStatus.ACTIVE
    assert Task.objects.get().status == TaskStatus.DONE
    # Silent again later: a new task (the old one is done).
    later = clock.now() + timedelta(hours=1)
    Device.objects.exclude(pk=smoke.pk).update(last_seen_at=later)
    assert health.mark_offline(now=later) == 1 and Task.objects.filter(status=TaskStatus.OPEN).count() == 1


def test_the_task_runs_the_sweep(site):
    Device.objects.update(last_seen_at=clock.now())
    assert sweep_devices.enqueue().return_value == 0


def _readings(site, values, *, hours_apart=12):
    meter = site.device("water_meter")
    now = clock.now()
    for i, value in enumerate(values):
        at = now - timedelta(hours=hours_apart * (len(values) - 1 - i))
        resp = post(Client(), site, "water_meter", {"type": "reading", "value": value, "unit": "m3", "at": iso(at)})
        assert resp.status_code == 202
    return meter


def test_a_meter_at_rest_for_n_days_gives_the_grid_worker_one_care_task(site):
    Device.objects.update(last_seen_at=clock.now())
    _readings(site, [100.0] * 6)  # three days of the same index
    assert sweep.check_rules() >= 1
    task = Task.objects.get(kind=TaskKind.CARE)
    assert (task.assignee, task.area_code) == (site.world.grid_worker, site.world.g1.code)
    assert "独居老人用水异常" in task.title
    assert sweep.check_rules() == 0  # open: left alone
    assert Task.objects.filter(kind=TaskKind.CARE).count() == 1


def test_a_meter_in_use_gives_nothing(site):
    _readings(site, [100.0, 100.0, 100.0, 100.5, 100.5, 100.5])
    sweep.check_rules()
    assert not Task.objects.filter(kind=TaskKind.CARE).exists()


def test_nobody_elderly_alone_no_care_task(site):
    from shequ.registry.models import PersonTag

    PersonTag.objects.update(until=clock.now().date() - timedelta(days=1))
    _readings(site, [100.0] * 6)
    sweep.check_rules()
    assert not Task.objects.filter(kind=TaskKind.CARE).exists()


def test_no_motion_for_n_hours(site):
    sensor = site.device("motion_sensor")
    now = clock.now()
    Device.objects.filter(pk=sensor.pk).update(created_at=now - timedelta(days=2))
    post(Client(), site, "motion_sensor", {"type": "motion", "detected": True, "at": iso(now - timedelta(hours=13))})
    post(Client(), site, "motion_sensor", {"type": "heartbeat", "at": iso(now)})
    assert sweep.check_rules() == 1
    assert "久未活动" in Task.objects.get(kind=TaskKind.CARE).title
    post(Client(), site, "motion_sensor", {"type": "motion", "detected": True, "at": iso(now - timedelta(hours=1))})
    Task.objects.update(status=TaskStatus.DONE)
    assert sweep.check_rules() == 0  # moving again


def test_retention_deletes_old_door_and_plate_messages_on_the_audit_trail(site, settings):
    settings.SHEQU_DEVICE_RETENTION_DAYS = 30
    now = clock.now()
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    client = Client()
    for at in (old, recent):
        post(client, site, "access_door", {"type": "access", "method": "card", "person_ref": "P1", "at": iso(at)})
        post(client, site, "vehicle_gate", {"type": "plate", "plate": "粤B12345", "direction": "in", "at": iso(at)})
        post(client, site, "smoke_detector", {"type": "heartbeat", "at": iso(at)})
    assert delete_expired_personal_data.enqueue().return_value == 2
    left = sorted(Message.objects.values_list("type", "at"))
    assert len(left) == 4 and {t for t, at in left if at < recent} == {"heartbeat"}
    entry = AuditEntry.objects.filter(detail__action="retention_delete").get()
    assert entry.detail["deleted"] == {"access": 1, "plate": 1}
    assert retention.purge() == 0 and AuditEntry.objects.filter(detail__action="retention_delete").count() == 1


def test_plates_keep_the_car_park_count_within_its_spaces(site):
    client, now = Client(), clock.now()
    moves = ["in", "in", "in", "in", "out"]  # 3 spaces: the fourth car in cannot make it 4
    for i, direction in enumerate(moves):
        at = iso(now - timedelta(seconds=10 - i))
        post(client, site, "vehicle_gate", {"type": "plate", "plate": f"粤B1000{i}", "direction": direction, "at": at})
    park = CarPark.objects.get()
    assert (park.occupied, park.free) == (2, 1)
    resp = client.get("/api/devices/car-parks")
    assert resp.status_code == 401  # signed in only
    client.force_login(site.world.resident)
    assert client.get("/api/devices/car-parks").json()[0]["free"] == 1


def test_a_watched_plate_notifies_the_community(site):
    w = site.world
    w.community_staff.phone = "13600000001"
    w.community_staff.save(update_fields=["phone"])
    actions.watch_plate(by=w.community_staff, plate="粤B66666", reason="占用消防通道", area_code=w.c1.code)
    client = Client()
    post(
        client, site, "vehicle_gate", {"type": "plate", "plate": "粤B12345", "direction": "in", "at": iso(clock.now())}
    )
    assert not Alarm.objects.exists()
    post(
        client, site, "vehicle_gate", {"type": "plate", "plate": "粤b66666", "direction": "in", "at": iso(clock.now())}
    )
    alarm = Alarm.objects.get()
    assert alarm.outcome == Outcome.WATCHED and "占用消防通道" in alarm.note
    assert set(Delivery.objects.values_list("address", flat=True)) == {"13600000001", "13900000001"}
