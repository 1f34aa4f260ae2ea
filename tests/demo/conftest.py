"""A tiny demo district, loaded inside a transaction that is rolled back at the end, so the tests that share it leave
nothing behind; and the demo's fixed clock and seed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.test import override_settings

from shequ.demo.generator import DemoSummary, load
from shequ.geo import index

# A fixed "now" (a Monday morning), so event times do not depend on the wall clock.
NOW = datetime(2025, 6, 16, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
SEED = 7
EVENTS = 60


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[DemoSummary]:
    """Once per module (other apps' tests import this); ``district/`` overrides it with one load for the package."""
    yield from loaded(django_db_blocker)


def loaded(django_db_blocker) -> Iterator[DemoSummary]:
    # The same fast hasher the per-test settings use, or the demo password would not check.
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast:
        with transaction.atomic():
            yield load(seed=SEED, scale="tiny", events=EVENTS, now=NOW)
            transaction.set_rollback(True)
        index.invalidate()


@pytest.fixture
def demo_db(demo, db) -> DemoSummary:
    """The demo, inside this test's own (rolled back) savepoint."""
    index.invalidate()
    return demo
