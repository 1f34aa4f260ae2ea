"""What each process keeps between requests (API tokens, the catalogue: ``core.bus.Memo``) never outlives an edit:
a revoked token, a deactivated account, a renamed category or region is seen by the very next request."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from shequ.access.models import ApiToken
from shequ.access.scopes import user_for_token
from shequ.core import bus
from shequ.events.models import Category, Event, TimelineEntry
from tests.world import token_for

from .test_report import report_body


def test_a_token_revoked_in_the_admin_stops_working_at_once(world, as_):
    client = as_(world.resident)
    assert client.post("/events", report_body(world)).status_code == 201
    token = ApiToken.objects.get(key_hash=ApiToken.hash(client.key))
    token.revoked_at = token.created_at
    token.save()
    assert client.post("/events", report_body(world)).status_code == 401
    assert Event.objects.count() == 1


def test_a_deactivated_account_and_a_changed_role_are_seen_by_the_next_request(world):
    key = token_for(world.grid_worker)
    assert user_for_token(key)[0].role == world.grid_worker.role
    world.grid_worker.role = "resident"
    world.grid_worker.save()
    assert user_for_token(key)[0].role == "resident"
    world.grid_worker.is_active = False
    world.grid_worker.save()
    assert user_for_token(key) is None


def test_each_request_gets_its_own_copy_of_the_tokens_user(world):
    key = token_for(world.community_staff)
    first, _token = user_for_token(key)
    first.role = "district_staff"  # what grants.apply does to the request's user
    assert user_for_token(key)[0].role == world.community_staff.role


def test_a_renamed_category_or_region_is_in_the_next_answer(world, as_):
    client = as_(world.resident)
    assert client.post("/events", report_body(world)).json()["category"]["name"] == "暴露垃圾"
    category = Category.objects.get(code="0101")
    category.name = "暴露的垃圾"
    category.save()
    world.g1.name = "第一网格"
    world.g1.save()
    body = client.post("/events", report_body(world)).json()
    assert (body["category"]["name"], body["grid"]["name"]) == ("暴露的垃圾", "第一网格")


def test_a_deactivated_category_is_refused_at_once(world, as_):
    client = as_(world.resident)
    assert client.post("/events", report_body(world)).status_code == 201
    category = Category.objects.get(code="0101")
    category.active = False
    category.save()
    resp = client.post("/events", report_body(world))
    assert (resp.status_code, resp.json()["code"]) == (400, "unknown_category")


def test_a_report_reads_no_catalogue_row_twice(world, as_):
    client = as_(world.resident)
    client.post("/events", report_body(world))
    with CaptureQueriesContext(connection) as queries:
        body = client.post("/events", report_body(world)).json()
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    for table in ("access_apitoken", "events_category", "events_level", "geo_region"):
        assert f'FROM "{table}"' not in sql, table
    # The answer's timeline is the one in the database, though it was not read back.
    rows = TimelineEntry.objects.filter(event__code=body["code"])
    assert [(t["action"], t["to_status"]) for t in body["timeline"]] == [(r.action, r.to_status) for r in rows]


def test_an_entry_read_while_it_was_dropped_is_not_kept(db):
    memo = bus.Memo("test.memo")
    calls = []

    def load():
        calls.append(1)
        memo.clear()  # an edit commits while the row is being read
        return len(calls)

    assert memo.get("k", load) == 1
    assert memo.get("k", load) == 2  # read again: the first value may have been stale
    memo.clear()
    assert memo.get("k", lambda: "fresh") == "fresh"
    assert memo.get("k", lambda: "not read") == "fresh"
    bus.changed("test.memo")
    assert memo.get("k", lambda: "after the nudge") == "after the nudge"
