"""The real catalog on top of the tiny world, a small model trained in the test session
(the shipped one is trained by ``manage.py train_intake``), and buildings to find."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from shequ.events.catalog import load_catalog
from shequ.geo.models import Building, Dwelling
from shequ.intake import address, versions
from shequ.intake.classifier import SHIPPED
from shequ.intake.corpus.generate import generate
from shequ.intake.training import train
from tests.world import World


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_for(user) -> Client:
    """A test client signed in as ``user`` (the workbench and portal pages)."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(scope="session")
def small_corpus():
    return generate(seed=3, part="train", per_category=12), generate(seed=3, part="held", per_category=4)


@pytest.fixture(scope="session")
def small_model(small_corpus):
    return train(small_corpus[0], seed=3)


@pytest.fixture
def catalog_world(world: World) -> World:
    load_catalog(json.loads((SHIPPED.parents[3] / "events" / "data" / "catalog.json").read_text(encoding="utf-8")))
    versions.forget()
    address.forget()
    yield world
    versions.forget()
    address.forget()


@pytest.fixture
def buildings(catalog_world: World) -> dict[str, Building]:
    w = catalog_world
    g1x, g1y = w.point_in(w.g1)
    g2x, g2y = w.point_in(w.g2)
    made = {
        "zh3": Building.objects.create(
            grid=w.g1, name="华航小区3栋", address="振华路12号华航小区3栋", lon=g1x, lat=g1y
        ),
        "zh4": Building.objects.create(
            grid=w.g2, name="华航小区4栋", address="振华路14号华航小区4栋", lon=g2x, lat=g2y
        ),
        "hf": Building.objects.create(grid=w.g2, name="华发大厦A座", address="华发路8号华发大厦A座", lon=g2x, lat=g2y),
    }
    Dwelling.objects.create(building=made["zh3"], entrance="2", floor=5, room="501")
    Dwelling.objects.create(building=made["zh3"], entrance="1", floor=5, room="501")
    address.forget()
    return made
