"""The whole loop through the API, each persona with their own token."""

from shequ.events.models import Event, Status

from .conftest import assert_error, snapshot


def report(world, client, category="0101", grid=None) -> str:
    lon, lat = world.point_in(grid or world.g1)
    resp = client.post("/events", {"description": "路边垃圾", "category": category, "lon": lon, "lat": lat})
    assert resp.status_code == 201, resp.json()
    return resp.json()["code"]


def test_it_runs_the_loop_end_to_end_through_the_api(world, as_):
    resident, desk, handler, verifier = (
        as_(world.resident),
        as_(world.community_staff),
        as_(world.handler),
        as_(world.grid_worker),
    )
    code = report(world, resident)
    assert desk.get(f"/events/{code}").json()["actions"] == ["accept", "reject"]

    detail = desk.act(code, "accept", {"note": "属实"})
    assert detail["status"] == "accepted"
    detail = desk.act(code, "dispatch")
    assert detail["status"] == "dispatched" and detail["unit"] == {"code": "C1-HW", "name": "一社区环卫队"}
    assert detail["deadline"] is not None

    assert handler.get(f"/events/{code}").json()["actions"] == ["return", "escalate", "request_extension", "handle"]
    detail = handler.act(code, "request-extension", {"hours": 8, "reason": "等待清运车"})
    assert detail["extension_hours"] == 8.0
    detail = desk.act(code, "decide-extension", {"approve": True})
    assert detail["extension_hours"] is None

    resp = handler.post_form(f"/events/{code}/handle", {"result": "已清理"}, photos=1)
    assert resp.status_code == 200, resp.json()
    assert [p["stage"] for p in resp.json()["photos"]] == ["handle"]

    detail = verifier.act(code, "verify", {"passed": False, "note": "仍有残留"})
    assert (detail["status"], detail["rework_count"]) == ("dispatched", 1)
    handler.act(code, "handle", {"result": "再次清理"})
    detail = verifier.act(code, "verify", {"passed": True})
    assert detail["status"] == "closed"

    assert resident.get(f"/events/{code}").json()["actions"] == ["rate"]
    detail = resident.act(code, "rate", {"score": 2, "comment": "太慢"})
    assert detail["rating"] == 2 and detail["actions"] == ["reopen"]
    detail = resident.act(code, "reopen", {"reason": "又堆起来了"})
    assert (detail["status"], detail["rework_count"]) == ("dispatched", 2)

    assert [t["action"] for t in detail["timeline"]] == [
        "report",
        "accept",
        "dispatch",
        "request_extension",
        "extension_approved",
        "handle",
        "verify_fail",
        "handle",
        "verify_pass",
        "rate",
        "reopen",
    ]
    assert detail["timeline"][1]["actor"] == "c1staff" and detail["timeline"][1]["note"] == "属实"


def test_it_returns_escalates_supervises_and_redispatches(world, as_):
    desk, street, city = as_(world.community_staff), as_(world.street_dispatcher), as_(world.handler_city)
    code = report(world, as_(world.grid_worker), category="0102")
    desk.act(code, "accept")
    assert desk.act(code, "dispatch")["unit"]["code"] == "S1-CG"
    detail = city.act(code, "return", {"reason": "不属于我队"})
    assert (detail["status"], detail["unit"], detail["return_count"]) == ("accepted", None, 1)
    detail = desk.act(code, "escalate", {"reason": "需街道协调"})
    assert detail["desk"]["code"] == "440304001"
    detail = street.act(code, "supervise", {"note": "尽快处理"})
    assert detail["supervised"] is True
    detail = street.act(code, "dispatch", {"unit": "D-CG", "note": "区局处理"})
    assert (detail["status"], detail["unit"]["code"]) == ("dispatched", "D-CG")


def test_it_rejects_with_a_reason(world, as_):
    code = report(world, as_(world.resident))
    detail = as_(world.community_staff).act(code, "reject", {"reason": "重复上报"})
    assert detail["status"] == "rejected" and detail["closed_at"] is not None


def test_it_refuses_a_rating_of_seven_and_changes_nothing(world, as_):
    resident = as_(world.resident)
    code = report(world, resident)
    desk = as_(world.community_staff)
    desk.act(code, "accept")
    desk.act(code, "dispatch")
    as_(world.handler).act(code, "handle", {"result": "已清理"})
    as_(world.grid_worker).act(code, "verify", {"passed": True})
    before = snapshot(Event.objects.get(code=code))
    assert_error(resident.post(f"/events/{code}/rate", {"score": 7}), 400, "bad_rating")
    assert_error(resident.post(f"/events/{code}/rate", {"score": "five"}), 422, "validation_error")
    assert snapshot(Event.objects.get(code=code)) == before


def test_it_refuses_an_action_the_user_may_not_take_and_changes_nothing(world, as_):
    code = report(world, as_(world.resident))
    event = Event.objects.get(code=code)
    before = snapshot(event)
    assert_error(as_(world.grid_worker).post(f"/events/{code}/accept"), 403, "forbidden")
    assert_error(as_(world.resident).post(f"/events/{code}/reject", {"reason": "x"}), 403, "forbidden")
    assert_error(as_(world.community_staff).post(f"/events/{code}/handle", {"result": "x"}), 409, "invalid_transition")
    assert_error(as_(world.community_staff).post(f"/events/{code}/reject", {"reason": " "}), 400, "invalid_input")
    assert_error(as_(world.community_staff).post(f"/events/{code}/reject", {}), 422, "validation_error")
    assert snapshot(event) == before


def test_it_refuses_an_unknown_unit_or_category_and_changes_nothing(world, as_):
    desk = as_(world.community_staff)
    code = report(world, as_(world.resident))
    event = Event.objects.get(code=code)
    before = snapshot(event)
    assert_error(desk.post(f"/events/{code}/accept", {"category": "77"}), 400, "unknown_category")
    assert snapshot(event) == before
    desk.act(code, "accept")
    before = snapshot(event)
    assert_error(desk.post(f"/events/{code}/dispatch", {"unit": "NOPE"}), 400, "unknown_unit")
    assert snapshot(event) == before
    assert Event.objects.get(code=code).status == Status.ACCEPTED
