from __future__ import annotations

import copy

import pytest

from shequ.geo.models import Region

# The world's origin (tests/world.py): communities are 0.01° squares from here.
X, Y = 114.05, 22.54


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # The world creates 17 users; the default PBKDF2 hasher makes that take seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def snapshot() -> list[tuple]:
    """Everything a grid write could change, to assert that a refusal wrote nothing."""
    return list(Region.objects.order_by("code").values_list("code", "name", "level", "parent_id", "boundary"))


def feature(code: str, name: str, geometry: dict | None, **props) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": {"code": code, "name": name, **props}}


def collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


@pytest.fixture
def exported(world) -> dict:
    """The world's grids as exported, for tests to edit."""
    from shequ.geo.geojson import export_grids

    return copy.deepcopy(export_grids())
