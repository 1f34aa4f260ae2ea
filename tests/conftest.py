from __future__ import annotations

import pytest

from shequ.geo import index

from .browser import browser_page, chromium  # noqa: F401  (one Playwright for the whole session)
from .world import World, build_world


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
