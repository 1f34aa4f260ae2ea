from __future__ import annotations

import pytest

from shequ.geo import index

from .world import World, build_world


@pytest.fixture
def world(db) -> World:
    w = build_world()
    yield w
    index.invalidate()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
