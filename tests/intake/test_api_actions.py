"""POST /api/events/{code}/merge and /recategorize: the intake actions through the API, errors as codes."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from shequ.events import actions
from shequ.events.models import Category, Channel, Event, Status
from tests.world import World, token_for

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_for(user)}"})


def _post(user, path: str, body: dict):
    return _client(user).post(f"/api/events{path}", json.dumps(body), content_type="application/json")


def _pair(w: World) -> tuple[Event, Event]:
    lon, lat = w.point_in(w.g1)
    original = actions.report(by=w.resident, channel=Channel.RESIDENT, description="垃圾桶满溢", lon=lon, lat=lat)
    actions.accept(original, by=w.community_staff, category=w.litter)
    dup = actions.report(by=w.resident2, channel=Channel.RESIDENT, description="垃圾桶又满了", lon=lon, lat=lat)
    return original, dup


def test_the_desk_merges_through_the_api_and_the_detail_lists_intake_actions(world: World):
    original, dup = _pair(world)
    detail = _client(world.community_staff).get(f"/api/events/{dup.code}").json()
    assert detail["actions"] == ["accept", "reject"] and detail["intake_actions"] == ["merge"]
    resp = _post(world.community_staff, f"/{dup.code}/merge", {"into": original.code, "note": "同一处"})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["status"] == "rejected" and body["intake_actions"] == []
    assert body["timeline"][-1]["action"] == "merge" and original.code in body["timeline"][-1]["note"]
    # the reporter sees the outcome in their own report
    mine = _client(world.resident2).get(f"/api/events/{dup.code}").json()
    assert mine["status"] == "rejected" and mine["intake_actions"] == []


@pytest.mark.parametrize(
    ("who", "into", "status", "code"),
    [
        ("community_staff", "self", 400, "merge_self"),
        ("community_staff", "440304-20990101-00001", 400, "unknown_original"),
        ("community_staff_c3", "original", 404, "not_found"),  # the duplicate is out of their area
        ("handler", "original", 404, "not_found"),
        ("grid_worker", "original", 403, "forbidden"),
    ],
)
def test_a_refused_merge_changes_nothing(world: World, who: str, into: str, status: int, code: str):
    original, dup = _pair(world)
    target = {"self": dup.code, "original": original.code}.get(into, into)
    resp = _post(getattr(world, who), f"/{dup.code}/merge", {"into": target})
    assert (resp.status_code, resp.json()["code"]) == (status, code), resp.content
    dup.refresh_from_db()
    assert (dup.status, dup.merged_into, dup.timeline.count()) == (Status.REPORTED, None, 1)


def test_merging_into_a_closed_or_merged_event_is_refused_with_a_code(world: World):
    original, dup = _pair(world)
    lon, lat = world.point_in(world.g1)
    rejected = actions.report(by=world.resident, channel=Channel.RESIDENT, description="垃圾", lon=lon, lat=lat)
    actions.reject(rejected, by=world.community_staff, reason="不属实")
    resp = _post(world.community_staff, f"/{dup.code}/merge", {"into": rejected.code})
    assert (resp.status_code, resp.json()["code"]) == (409, "merge_closed")
    third = actions.report(by=world.resident, channel=Channel.RESIDENT, description="垃圾满了", lon=lon, lat=lat)
    actions.merge(third, into=original, by=world.community_staff)
    resp = _post(world.community_staff, f"/{dup.code}/merge", {"into": third.code})
    assert resp.status_code == 409  # the third was closed by its own merge
    dup.refresh_from_db()
    assert (dup.status, dup.merged_into) == (Status.REPORTED, None)


def test_the_desk_recategorizes_through_the_api(world: World):
    original, _dup = _pair(world)
    resp = _post(world.community_staff, f"/{original.code}/recategorize", {"category": world.graffiti.code})
    assert resp.status_code == 200, resp.content
    assert resp.json()["category"]["code"] == world.graffiti.code
    assert Event.objects.get(pk=original.pk).timeline.filter(action="recategorize").count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"category": "9999"}, 400, "unknown_category"),
        ({"category": "01"}, 400, "category_not_leaf"),
        ({}, 422, None),
    ],
)
def test_a_bad_recategorize_says_why_and_changes_nothing(world: World, body: dict, status: int, code: str | None):
    original, _dup = _pair(world)
    resp = _post(world.community_staff, f"/{original.code}/recategorize", body)
    assert resp.status_code == status
    if code:
        assert resp.json()["code"] == code
    original.refresh_from_db()
    assert original.category == world.litter and not original.timeline.filter(action="recategorize").exists()


def test_a_reported_event_cannot_be_recategorized_nor_by_the_unit(world: World):
    _original, dup = _pair(world)
    resp = _post(world.community_staff, f"/{dup.code}/recategorize", {"category": world.litter.code})
    assert (resp.status_code, resp.json()["code"]) == (409, "invalid_transition")
    assert Category.objects.filter(code="0101").exists()
