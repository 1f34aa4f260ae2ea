from __future__ import annotations

import os

import pytest
from hypothesis import settings as hypothesis_settings

from shequ.core import bus
from shequ.geo import index

from .browser import browser_page, chromium  # noqa: F401  (one Playwright for the whole session)
from .world import World, build_world

# CI must not go red on a new random example: there the examples are the same every run.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A page in a browser tests the page; the database under it is the same code on either engine.
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.one_engine)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    # pytest-django's own, and then: the bus's listening connection (PostgreSQL) would keep the test database from
    # being dropped, so it closes first. Only runs that use the database pay for this.
    yield
    bus.stop()


@pytest.fixture
def world(db) -> World:
    w = build_world()
    yield w
    index.invalidate()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The real hasher is slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Personas sign in with a password only; the two-factor tests (tests/access) set "required".
    settings.SHEQU_2FA = "optional"
