"""Open311 tests reuse the API personas' helpers (tokens, fast password hashing)."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest
from django.test import Client

from shequ.events import actions
from shequ.events.models import Channel, Event
from tests.api.conftest import as_  # noqa: F401  (a fixture)
from tests.world import World, token_for

CJK = re.compile("[\u4e00-\u9fff]")
BASE = "/open311/v2/"


@pytest.fixture
def anon() -> Client:
    return Client()


def get(client: Client, path: str, **params):
    return client.get(BASE + path, params)


def post(client: Client, fmt: str = "json", **fields):
    return client.post(BASE + f"requests.{fmt}", fields)


def as_json(resp, status: int = 200):
    assert resp.status_code == status, resp.content
    assert resp["Content-Type"].startswith("application/json")
    return json.loads(resp.content)


def as_xml(resp, status: int = 200) -> ElementTree.Element:
    assert resp.status_code == status, resp.content
    assert resp["Content-Type"] == "text/xml; charset=utf-8"
    assert resp.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(resp.content)


def assert_json_error(resp, status: int) -> str:
    body = as_json(resp, status)
    assert len(body) == 1 and body[0]["code"] == status
    assert CJK.search(body[0]["description"]), body
    return body[0]["description"]


def assert_xml_error(resp, status: int) -> str:
    root = as_xml(resp, status)
    assert root.tag == "errors"
    assert root.findtext("error/code") == str(status)
    description = root.findtext("error/description")
    assert CJK.search(description), description
    return description


def reported(world: World, *, by=None, grid=None, category=None, **extra) -> Event:
    lon, lat = world.point_in(grid or world.g1)
    return actions.report(
        by=by or world.resident,
        channel=Channel.RESIDENT,
        description="路灯不亮",
        category=category or world.litter,
        lon=lon,
        lat=lat,
        address="一社区5栋",
        reporter_name="李女士",
        reporter_phone="13911112222",
        **extra,
    )


@pytest.fixture
def key(world: World) -> str:
    """The community staff of C1's key: sees C1's events."""
    return token_for(world.community_staff)
