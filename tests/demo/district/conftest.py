"""The demo district loaded once for the whole package (once per module took 40-60 s of CI each time). The package
holds no transactional test: one would commit inside the shared transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shequ.demo.generator import DemoSummary

from ..conftest import loaded


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker) -> Iterator[DemoSummary]:
    yield from loaded(django_db_blocker)
