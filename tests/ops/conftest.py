from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.db import connection

from shequ.alerts.models import AlertTemplate
from shequ.alerts.seed import seed as seed_templates
from shequ.core import cache as shared
from shequ.registry.models import CodeTable
from shequ.registry.seed import seed as seed_dictionary

from .workers import Workers, dsn


@pytest.fixture(autouse=True)
def _fresh_cache_state(settings):
    settings.SHEQU_METRICS_DB_SECONDS = 0  # every scrape reads the database again
    yield
    shared._down_since = None  # a test that stopped "Redis" must not leave the next one degraded
    shared._retry_at = 0.0


@pytest.fixture
def pg(world, settings, tmp_path) -> Iterator[dict[str, str]]:
    """The environment of a task worker on the test database; tasks enqueued here go to its queue."""
    if connection.vendor != "postgresql":
        # The PostgreSQL pass runs these (under CI=true the Makefile refuses a run without PostgreSQL).
        pytest.skip("task workers in their own processes need PostgreSQL (set DATABASE_URL)")
    # A transactional test before this one flushed what the data migrations seeded.
    if not CodeTable.objects.exists():
        seed_dictionary(apps)
    if not AlertTemplate.objects.exists():
        seed_templates(apps)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    env = {
        **os.environ,
        "DATABASE_URL": dsn(),
        "SHEQU_TASKS": "database",
        "SHEQU_VAR_DIR": str(tmp_path / "var"),
        # The worker reads what this process wrote: the same kept uploads and the same keys.
        "SHEQU_IMPORT_DIR": str(settings.SHEQU_IMPORT_DIR),
        "SHEQU_DATA_KEY_FILE": str(settings.SHEQU_DATA_KEY_FILE),
        "SHEQU_DATA_KEYS": settings.SHEQU_DATA_KEYS,
        "SHEQU_INDEX_KEYS": settings.SHEQU_INDEX_KEYS,
        "SHEQU_SMS_URL": "",  # messages go to the outbox table, where the test counts them
    }
    yield env


@pytest.fixture
def workers(pg) -> Iterator[Workers]:
    w = Workers(pg)
    try:
        yield w
    finally:
        w.close()
