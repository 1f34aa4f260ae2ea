"""The demo district's devices, car parks and rule table."""

from __future__ import annotations

import pytest

from shequ.devices.models import CarPark, Device, Rule
from tests.demo.conftest import demo, demo_db  # noqa: F401  (the tiny demo district, once per module)


@pytest.mark.django_db
def test_the_demo_has_devices_car_parks_and_rules(demo_db):  # noqa: F811
    summary = demo_db.devices
    assert summary.devices == Device.objects.count() > 20
    assert summary.car_parks == CarPark.objects.count() > 0
    assert Rule.objects.filter(emergency=True).count() == 3
    kinds = set(Device.objects.values_list("type", flat=True))
    assert {"smoke_detector", "vehicle_gate", "access_door", "water_meter", "motion_sensor"} <= kinds
    # the demo's resident accounts live with a smoke detector
    assert Device.objects.filter(type="smoke_detector", dwelling__residences__person__account__isnull=False).exists()
