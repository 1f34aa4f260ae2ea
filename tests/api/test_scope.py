"""Out of scope is the same 404 as missing, on reads and on every action."""

from shequ.events.models import Event

from .conftest import assert_error, snapshot
from .test_loop import report

ACTIONS = [
    ("accept", {}),
    ("reject", {"reason": "x"}),
    ("dispatch", {}),
    ("return", {"reason": "x"}),
    ("escalate", {"reason": "x"}),
    ("request-extension", {"hours": 2, "reason": "x"}),
    ("decide-extension", {"approve": True}),
    ("handle", {"result": "x"}),
    ("verify", {"passed": True}),
    ("rate", {"score": 5}),
    ("reopen", {"reason": "x"}),
    ("supervise", {"note": "x"}),
]


def test_it_hides_another_communitys_event(world, as_):
    code = report(world, as_(world.resident))
    event = Event.objects.get(code=code)
    before = snapshot(event)
    for outsider in (world.community_staff_c3, world.street_dispatcher_s2, world.resident2, world.handler_city):
        client = as_(outsider)
        assert_error(client.get(f"/events/{code}"), 404, "not_found")
        assert client.get("/events").json() == {"count": 0, "page": 1, "page_size": 20, "items": []}
        for action, body in ACTIONS:
            assert_error(client.post(f"/events/{code}/{action}", body), 404, "not_found")
    assert_error(as_(world.admin).get("/events/440304-20000101-00001"), 404, "not_found")
    assert snapshot(event) == before


def test_it_shows_personal_fields_to_staff_and_the_reporter_only(world, as_):
    code = report(world, as_(world.resident))
    staff = as_(world.community_staff).get(f"/events/{code}").json()
    assert (staff["reporter_name"], staff["token"]) == ("resident", None)
    mine = as_(world.resident).get(f"/events/{code}").json()
    assert mine["reporter_name"] == "resident" and mine["token"] is not None


def test_it_keeps_the_event_visible_to_a_unit_that_returned_it(world, as_):
    desk = as_(world.community_staff)
    code = report(world, as_(world.resident), category="0102")
    desk.act(code, "accept")
    desk.act(code, "dispatch")
    city = as_(world.handler_city)
    detail = city.act(code, "return", {"reason": "不属于我队"})
    assert detail["actions"] == []
    assert [e["code"] for e in city.get("/events").json()["items"]] == [code]
