"""API clients that authenticate as the `world` personas with their own tokens."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shequ.access.models import User
from shequ.events.models import Event
from tests.world import World, token_for

CJK = re.compile("[\u4e00-\u9fff]")
# The smallest valid PNG: a 1x1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4bc0000000049454e44ae426082"
)


class ApiClient:
    """A test client sending ``Authorization: Bearer <key>`` on every request."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.client = Client(headers={"Authorization": f"Bearer {key}"})

    def get(self, path: str, **params: Any):
        return self.client.get("/api" + path, params)

    def post(self, path: str, body: dict | None = None):
        return self.client.post("/api" + path, body or {}, content_type="application/json")

    def post_form(self, path: str, fields: dict, photos: int = 1):
        files = [SimpleUploadedFile(f"p{i}.png", PNG, content_type="image/png") for i in range(photos)]
        return self.client.post("/api" + path, {**fields, "photos": files})

    def act(self, code: str, action: str, body: dict | None = None) -> dict:
        """A loop action that must succeed; returns the detail."""
        resp = self.post(f"/events/{code}/{action}", body)
        assert resp.status_code == 200, resp.json()
        return resp.json()


@pytest.fixture
def as_(world: World) -> Callable[..., ApiClient]:
    """``as_(world.resident)`` -> an ApiClient with a fresh token for that user."""

    def make(user: User, channel: str = "") -> ApiClient:
        return ApiClient(token_for(user, channel))

    return make


def assert_error(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def snapshot(event: Event) -> dict:
    """Every field of the event as stored, plus its timeline length: compare before and after a refusal."""
    fresh = Event.objects.get(pk=event.pk)
    values = {f.attname: getattr(fresh, f.attname) for f in Event._meta.concrete_fields}
    return {**values, "timeline": fresh.timeline.count(), "photos": fresh.photos.count()}
