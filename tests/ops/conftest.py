from __future__ import annotations

import pytest

from shequ.core import cache as shared


@pytest.fixture(autouse=True)
def _fresh_cache_state(settings):
    settings.SHEQU_METRICS_DB_SECONDS = 0  # every scrape reads the database again
    yield
    shared._down_since = None  # a test that stopped "Redis" must not leave the next one degraded
    shared._retry_at = 0.0
