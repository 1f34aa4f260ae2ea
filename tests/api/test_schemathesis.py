"""Property-based: requests generated from /api/openapi.json, sent with real tokens of a staff member and of a
resident, never get a server error (schemathesis 4, in-process over WSGI).

Examples are bounded so the whole run stays well under two minutes on SQLite; under CI the "ci" hypothesis profile
(tests/conftest.py) makes them the same every run, locally they vary and may find something new."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
import schemathesis
from django.apps import apps
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from shequ.access.models import Role
from shequ.geo.models import Dwelling
from shequ.registry import actions as registry
from shequ.registry.models import CodeTable
from shequ.registry.seed import seed
from shequ.wsgi import application
from tests.registry.conftest import dwelling_in
from tests.world import user

from .test_loop import report

MAX_EXAMPLES = 12


@contextmanager
def connection_kept() -> Iterator[None]:
    """Called as a plain WSGI app, Django closes the connection around each request (inside the
    test's transaction it looks obsolete), which drops the test data on PostgreSQL. Django's
    test client disconnects the same handlers, and reconnects them after each of its requests,
    so this wraps only the schemathesis calls."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def fuzz(operation, key: str, real: dict[str, list]) -> None:
    """``real`` gives, per path parameter name, values of objects that exist (and that the caller may or may not
    see), so some requests get past the 404 into the handlers."""

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(), pick=st.integers(min_value=0, max_value=7))
    def run(case, pick):
        for name in case.path_parameters or {}:
            values = real.get(name, [])
            if pick < len(values):
                case.path_parameters[name] = values[pick]
        case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])

    run()


def planted(world) -> dict[str, list]:
    """A person, household, dwelling, building and organisation in G1 (inside the staff member's area) and a person
    in G3 (outside it), by the registry's actions."""
    near = dwelling_in(world.g1, room="101")
    far = dwelling_in(world.g3, room="301")
    people = []
    for dwelling, name in ((near, "张三"), (far, "李四")):
        person = registry.create_person(by=None, source=registry.MANUAL, name=name, phone="13800138000")
        registry.move_in(person, dwelling, role="owner", since=date(2020, 1, 1), by=None, source=registry.MANUAL)
        people.append(person.pk)
    household = registry.create_household(near, number="H1", by=None, source=registry.MANUAL)
    shop = Dwelling.objects.create(building=near.building, floor=1, room="S1", use="shop")
    org = registry.create_organization(by=None, source=registry.MANUAL, name="便利店", premises=shop)
    return {
        "id": [*people, household.pk, near.pk, far.pk, near.building_id, org.pk],
        "code": [world.g1.code, world.c1.code, world.g3.code],
    }


def plant_devices(world) -> list[str]:
    """devices: a smoke detector in G1 (inside the staff member's area) and one in G3."""
    from shequ.devices.actions import DeviceInput, create_device

    codes = []
    for grid in (world.g1, world.g3):
        dwelling = dwelling_in(grid, room="901")
        device, _key = create_device(
            by=None,
            data=DeviceInput(code=f"FZ-{grid.code}", name="烟感", type="smoke_detector", building=dwelling.building,
                             dwelling=dwelling, owner_kind="community"),
        )  # fmt: skip
        codes.append(device.code)
    return codes


@pytest.mark.parametrize("persona", ["community_staff", "resident", "data_user"])
def test_it_never_answers_a_generated_request_with_a_server_error(world, as_, persona):
    """The data user (a department, region S1) fuzzes only the statistics operations: everything else refuses it
    before reading its input."""
    if not CodeTable.objects.exists():  # a transactional test elsewhere may have flushed the seeded dictionary
        seed(apps)
    if persona == "data_user":
        caller = as_(user("datauser", Role.DATA_USER, region=world.s1))
    else:
        caller = as_(getattr(world, persona))
    desk = as_(world.community_staff)
    reported = report(world, as_(world.resident))
    dispatched = report(world, as_(world.resident))
    desk.act(dispatched, "accept")
    desk.act(dispatched, "dispatch")
    real = planted(world)
    device_codes = plant_devices(world)  # devices
    with connection_kept():
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
        operations = [result.ok() for result in schema.get_all_operations()]
        # Every router is fuzzed; at least every events and geo operation is here.
        assert len([op for op in operations if op.path.startswith(("/api/events", "/api/geo"))]) >= 21
        for operation in operations:
            if persona == "data_user" and not operation.path.startswith("/api/stats"):
                continue
            codes = real["code"] if operation.path.startswith("/api/geo") else [reported, dispatched]
            if operation.path.startswith("/api/devices"):  # devices: one device in G1, one in G3
                codes = device_codes
            fuzz(operation, caller.key, {"id": real["id"], "code": codes})
