"""Schemathesis over the services operations only (tests/api/test_schemathesis.py fuzzes every router in the full
run): generated requests, with a resident's and a desk's token and real affair codes and application numbers, never
get a server error."""

from __future__ import annotations

import pytest
import schemathesis

from shequ.wsgi import application
from tests.api.test_schemathesis import connection_kept, fuzz
from tests.world import token_for

from .test_affairs import apply


@pytest.mark.parametrize("persona", ["resident"])  # the desk: the full run (tests/api)
def test_generated_requests_never_get_a_server_error(world, people, residence_affair, persona, now):
    app = apply(world, people, residence_affair)
    key = token_for(getattr(world, persona))
    real = {"code": [residence_affair.code, "juzhu", "changdi"], "number": [app.number], "step": ["accept", "refuse"]}
    with connection_kept():
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
        operations = [r.ok() for r in schema.get_all_operations()]
        mine = [op for op in operations if op.path.startswith("/api/services")]
        assert len(mine) == 7
        for operation in mine:
            fuzz(operation, key, real)
