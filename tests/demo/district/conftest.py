"""A tiny demo district, loaded once for the whole package inside a transaction that is rolled back at the end, so
its tests share it and nothing leaks out (loading it once per module took 40-60 s of CI each time). The package
holds no transactional test: one would commit inside the shared transaction."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from shequ.demo.generator import DemoSummary, load
from shequ.geo import index

from ..conftest import EVENTS, NOW, SEED


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker) -> DemoSummary:
    # The same fast hasher the per-test settings use, or the demo password would not check.
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast:
        with transaction.atomic():
            summary = load(seed=SEED, scale="tiny", events=EVENTS, now=NOW)
            yield summary
            transaction.set_rollback(True)
        index.invalidate()


@pytest.fixture
def demo_db(demo, db) -> DemoSummary:
    """The package's demo, inside this test's own (rolled back) savepoint."""
    index.invalidate()
    return demo
