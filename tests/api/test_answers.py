"""An action's answer is the row it locked and changed, never read back (issue #16): it must be what a GET of the
event says right after, field for field, timeline and offered actions included."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from shequ.events.models import Event

from .conftest import assert_error, snapshot
from .test_loop import report


def acted(client, code: str, action: str, body: dict | None = None) -> dict:
    """The answer to the action, checked against the event as a GET reads it afterwards."""
    answer = client.act(code, action, body)
    assert answer == client.get(f"/events/{code}").json(), action
    return answer


def test_it_answers_each_action_with_the_event_as_stored(world, as_):
    desk, street, handler, city = (
        as_(world.community_staff),
        as_(world.street_dispatcher),
        as_(world.handler),
        as_(world.handler_city),
    )
    resident, verifier = as_(world.resident), as_(world.grid_worker)
    code = report(world, resident)
    assert acted(desk, code, "accept", {"note": "属实"})["status"] == "accepted"
    answer = acted(desk, code, "dispatch")
    assert (answer["status"], answer["unit"]["code"], answer["actions"]) == ("dispatched", "C1-HW", [])
    acted(handler, code, "request-extension", {"hours": 8, "reason": "等待清运车"})
    assert acted(desk, code, "decide-extension", {"approve": True})["extension_hours"] is None
    acted(handler, code, "handle", {"result": "已清理"})
    assert acted(verifier, code, "verify", {"passed": False, "note": "仍有残留"})["rework_count"] == 1
    acted(handler, code, "handle", {"result": "再次清理"})
    assert acted(verifier, code, "verify", {"passed": True})["status"] == "closed"
    answer = acted(resident, code, "rate", {"score": 1, "comment": "太慢", "reopen_if_low": True})
    assert (answer["status"], answer["rating"], answer["timeline"][-1]["action"]) == ("dispatched", None, "reopen")

    # The desk moves: no duty passes it to the street, a return and an escalation hand it on.
    code = report(world, resident, category="0201")
    acted(desk, code, "accept")
    answer = acted(desk, code, "dispatch")
    assert (answer["status"], answer["desk"]["code"], answer["actions"]) == ("accepted", "440304001", [])
    assert acted(street, code, "dispatch", {"unit": "D-CG"})["unit"]["code"] == "D-CG"
    code = report(world, resident, category="0102")
    acted(desk, code, "accept")
    acted(desk, code, "dispatch")
    assert acted(city, code, "return", {"reason": "不属于我队"})["return_count"] == 1
    assert acted(desk, code, "escalate", {"reason": "需街道协调"})["desk"]["code"] == "440304001"
    assert acted(street, code, "supervise", {"note": "尽快处理"})["supervised"] is True
    assert acted(street, code, "recategorize", {"category": "0101"})["category"]["code"] == "0101"


def test_it_answers_a_merge_with_the_duplicate_as_stored(world, as_):
    desk, resident = as_(world.community_staff), as_(world.resident)
    original, duplicate = report(world, resident), report(world, resident)
    answer = acted(desk, duplicate, "merge", {"into": original})
    assert (answer["status"], answer["timeline"][-1]["action"]) == ("rejected", "merge")


def test_it_still_refuses_accept_and_dispatch_outside_the_users_area(world, as_):
    desk = as_(world.community_staff)
    code = report(world, as_(world.resident))
    event = Event.objects.get(code=code)
    for outsider in (world.community_staff_c3, world.street_dispatcher_s2):
        assert_error(as_(outsider).post(f"/events/{code}/accept"), 404, "not_found")
    desk.act(code, "accept")
    before = snapshot(event)
    for outsider in (world.community_staff_c3, world.street_dispatcher_s2):
        assert_error(as_(outsider).post(f"/events/{code}/dispatch"), 404, "not_found")
    # In scope but not at the desk: seen, and refused by the rule on the locked row.
    assert_error(as_(world.grid_worker).post(f"/events/{code}/dispatch"), 403, "forbidden")
    assert snapshot(event) == before


def test_it_reads_no_region_polygon_to_accept_and_dispatch(world, as_):
    desk = as_(world.community_staff)
    code = report(world, as_(world.resident))
    desk.get(f"/events/{code}")  # the token's row (with its grant's regions) is read once per process
    with CaptureQueriesContext(connection) as queries:
        desk.act(code, "accept")
        desk.act(code, "dispatch")
    assert not [q["sql"] for q in queries.captured_queries if "boundary" in q["sql"]]
