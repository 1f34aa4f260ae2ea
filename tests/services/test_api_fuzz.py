"""Schemathesis over the services operations only (tests/api/test_schemathesis.py fuzzes every router in the full
run): generated requests, with a resident's, a provider's, a grid worker's and a department's token and real affair
codes, application and order numbers, service and care task ids, never get a server error."""

from __future__ import annotations

from datetime import date

import pytest
import schemathesis

from shequ.access.models import Role, Unit
from shequ.registry import actions as registry
from shequ.services.care import actions as care
from shequ.services.orders import actions as orders
from shequ.wsgi import application
from tests.api.test_schemathesis import connection_kept, fuzz
from tests.world import token_for, user

from .test_affairs import apply

OPERATIONS = 16


@pytest.mark.parametrize("persona", ["resident", "provider", "grid_worker", "department"])
def test_generated_requests_never_get_a_server_error(world, people, residence_affair, providers, persona, now):
    app = apply(world, people, residence_affair)
    order = orders.place(service=providers.cleaning, by=world.resident, slot=providers.slot)
    registry.tag(people.zhang, "elderly_alone", since=date(2025, 1, 1), by=None, source=registry.MANUAL)
    care.build_needs_list(region=world.c1, by=world.community_staff)
    task = care.queries.my_tasks(world.grid_worker).first()
    assert task is not None
    department = user(
        "mzj", Role.UNIT_HANDLER, unit=Unit.objects.create(code="D-MZJ", name="民政局", region=world.district)
    )
    who = {"provider": providers.care_staff, "department": department}.get(persona) or getattr(world, persona)
    real = {
        "code": [residence_affair.code, "juzhu", "changdi"],
        "number": [app.number, order.number],
        "step": ["accept", "refuse", "confirm", "assign", "complete"],
        "pk": [providers.cleaning.pk, task.pk],
    }
    with connection_kept():
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
        operations = [r.ok() for r in schema.get_all_operations()]
        mine = [op for op in operations if op.path.startswith("/api/services")]
        assert len(mine) == OPERATIONS
        for operation in mine:
            fuzz(operation, token_for(who), real)
