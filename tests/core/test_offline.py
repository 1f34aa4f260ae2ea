"""The platform runs on an intranet: no page loads anything from another host."""

from __future__ import annotations

import re

import pytest
from django.test import Client

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//(?!127\.0\.0\.1|localhost|testserver)""", re.I)


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("community_staff", "/"),
        ("community_staff", "/events/"),
        ("community_staff", "/map/"),
        ("admin", "/geo/grids/"),
        ("community_staff", "/registry/"),
        ("community_staff", "/registry/people/"),
        ("community_staff", "/registry/imports/"),
        ("community_staff", "/registry/review/"),
        ("community_staff", "/registry/merges/"),
        ("community_staff", "/registry/dictionary/"),
        ("community_staff", "/registry/export/"),
        ("community_staff", "/collection/"),
        ("community_staff", "/collection/coverage/"),
        ("grid_worker", "/collection/"),
        ("community_staff", "/alerts/"),
        ("community_staff", "/alerts/new/"),
        ("community_staff", "/notices/"),
        ("community_staff", "/notices/new/"),
        ("resident", "/notices/mine/"),
        ("resident", "/alerts/inbox/"),
        ("admin", "/audit/"),
        ("admin", "/audit/verify/"),
        ("admin", "/admin/"),
        ("resident", "/portal/"),
        ("resident", "/portal/reports/"),
        (None, "/login/"),
        (None, "/portal/login/"),
        (None, "/api/docs"),
    ],
)
def test_it_serves_every_asset_itself(world, who, path):
    client = Client()
    if who:
        client.force_login(getattr(world, who))
    response = client.get(path, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<" in body
    assert EXTERNAL.findall(body) == []
