"""Property-based: requests generated from /api/openapi.json, sent with a real staff
token, never get a server error (schemathesis 4, in-process over WSGI)."""

from collections.abc import Iterator
from contextlib import contextmanager

import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from shequ.wsgi import application

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


def fuzz(operation, key: str, codes: list[str]) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), real=st.sampled_from([None, *codes]))
    def run(case, real):
        # Real objects for some path parameters, so the handlers get past the 404.
        if real and case.path_parameters and "code" in case.path_parameters:
            case.path_parameters["code"] = real
        case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])

    run()


def test_it_never_answers_a_generated_request_with_a_server_error(world, as_):
    staff = as_(world.admin)
    reported = report(world, as_(world.resident))
    dispatched = report(world, as_(world.resident))
    staff.act(dispatched, "accept")
    staff.act(dispatched, "dispatch")
    with connection_kept():
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
        operations = [result.ok() for result in schema.get_all_operations()]
        # Other apps' routers are fuzzed as well; at least every events and geo operation is here.
        assert len([op for op in operations if op.path.startswith(("/api/events", "/api/geo"))]) == 21
        for operation in operations:
            if operation.path == "/api/geo/regions/{code}":
                fuzz(operation, staff.key, [world.g1.code, world.c1.code])
            else:
                fuzz(operation, staff.key, [reported, dispatched])
