"""Online affairs over the JSON API: the form asks only what the base lacks, applying, the steps, scopes, and the
public verification of a certificate's code; errors are {code, message}."""

from __future__ import annotations

import json
from datetime import date

from django.test import Client

from shequ.services.models import Certificate
from tests.world import token_for


def call(user, method: str, path: str, body: dict | None = None):
    client = Client()
    headers = {"Authorization": f"Bearer {token_for(user)}"} if user is not None else {}
    data = json.dumps(body or {}) if method == "post" else None
    kwargs = {"content_type": "application/json", "data": data} if method == "post" else {}
    return getattr(client, method)(f"/api/services{path}", headers=headers, **kwargs)


def test_a_resident_applies_through_the_api_and_staff_approve(world, people, subsidy_affair, residence_affair, now):
    affairs = call(world.resident, "get", "/affairs").json()
    assert subsidy_affair.code in [a["code"] for a in affairs]
    form = call(world.resident, "get", f"/affairs/{subsidy_affair.code}/form").json()
    assert [k["field"] for k in form["known"]] == ["person.name", "person.phone"]
    assert [a["name"] for a in form["asks"]] == ["reason", "income"]
    bad = call(world.resident, "post", f"/affairs/{subsidy_affair.code}/applications", {"values": {}})
    assert bad.status_code == 400 and bad.json()["code"] == "form_invalid"
    # an affair requiring an attachment says so
    needs_file = call(
        world.resident,
        "post",
        f"/affairs/{residence_affair.code}/applications",
        {"values": {"hukou_address": "深圳", "purpose": "入学"}},
    )
    assert needs_file.status_code == 400 and needs_file.json()["code"] == "attachment_required"
    made = call(world.resident, "post", f"/affairs/{subsidy_affair.code}/applications", {"values": {"reason": "因病"}})
    assert made.status_code == 201, made.content
    number = made.json()["number"]
    assert call(world.resident2, "get", f"/applications/{number}").status_code == 404
    assert call(world.community_staff_c3, "post", f"/applications/{number}/accept").status_code == 404
    refused = call(world.street_dispatcher, "post", f"/applications/{number}/review")
    assert refused.status_code in (400, 403, 409) and "code" in refused.json()
    assert call(world.community_staff, "post", f"/applications/{number}/accept").json()["status"] == "reviewing"
    assert call(world.community_staff, "post", f"/applications/{number}/review").json()["level"] == "street"
    done = call(world.street_dispatcher, "post", f"/applications/{number}/refuse", {"reason": "收入超标"})
    assert done.json()["status"] == "refused" and done.json()["reason"] == "收入超标"
    listed = call(world.resident, "get", "/applications").json()
    assert listed["count"] == 1 and listed["results"][0]["number"] == number


def test_anyone_checks_a_code_and_a_forged_one_fails(world, people, residence_affair, now):
    from shequ.services.affairs import actions

    from .test_affairs import apply

    app = apply(world, people, residence_affair)
    actions.review(actions.accept(app, by=world.community_staff), by=world.community_staff)
    cert = Certificate.objects.get()
    ok = call(None, "get", f"/certificates/verify?code={cert.code}").json()
    assert ok["valid"] is True and ok["number"] == cert.number
    forged = call(None, "get", "/certificates/verify?code=AAAAAAAAAAAAAAAAAAAA").json()
    assert forged == {
        "valid": False,
        "reason": "unknown",
        "number": "",
        "title": "",
        "holder": "",
        "issuer": "",
        "date": "",
    }


# --- orders, care and aid -----------------------------------------------------------------------------------------


def test_a_resident_orders_through_the_api_and_the_provider_does_it(world, people, providers, now):
    from shequ.events.models import Event

    offered = call(world.resident, "get", "/offered").json()
    cleaning = next(s for s in offered if s["id"] == providers.cleaning.pk)
    assert cleaning["free"] is True and [s["id"] for s in cleaning["slots"]] == [providers.slot.pk]
    assert call(world.resident2, "get", "/offered").json() == []  # nothing offered in G3
    url = f"/offered/{providers.cleaning.pk}/orders"
    no_slot = call(world.resident, "post", url, {})
    assert no_slot.status_code == 400 and no_slot.json()["code"] == "slot_required"
    stranger = call(world.resident, "post", url, {"slot": providers.slot.pk, "beneficiary": people.wang.pk})
    assert stranger.status_code == 400 and stranger.json()["code"] == "not_household"
    assert call(world.resident2, "post", url, {"slot": providers.slot.pk}).status_code == 404
    made = call(world.resident, "post", url, {"slot": providers.slot.pk, "request": "擦窗"})
    assert made.status_code == 201, made.content
    number = made.json()["number"]
    assert made.json()["status"] == "placed" and made.json()["timeline"][0]["action"] == "place"
    # only the provider acts, and only its orders are listed to it
    assert call(providers.shop_staff, "get", f"/orders/{number}").status_code == 404
    assert call(providers.shop_staff, "get", "/orders").json()["count"] == 0
    assert call(world.resident, "post", f"/orders/{number}/accept").json()["code"] == "not_provider"
    assert call(providers.care_staff, "get", "/orders").json()["results"][0]["number"] == number
    assert call(providers.care_staff, "post", f"/orders/{number}/accept").json()["status"] == "accepted"
    bad_worker = call(providers.care_staff, "post", f"/orders/{number}/assign", {"worker": providers.shop_staff.pk})
    assert bad_worker.status_code == 400 and bad_worker.json()["code"] == "not_provider_staff"
    assigned = call(providers.care_staff, "post", f"/orders/{number}/assign", {"worker": providers.care_worker.pk})
    assert assigned.json()["worker"] == str(providers.care_worker)
    assert call(providers.care_worker, "post", f"/orders/{number}/complete").json()["code"] == "note_required"
    assert (
        call(providers.care_worker, "post", f"/orders/{number}/complete", {"note": "已擦窗"}).json()["status"] == "done"
    )
    assert call(world.resident, "post", f"/orders/{number}/confirm", {"rating": 9}).json()["code"] == "bad_rating"
    done = call(world.resident, "post", f"/orders/{number}/confirm", {"rating": 4, "comment": "很好"}).json()
    assert (done["status"], done["rating"]) == ("confirmed", 4)
    complained = call(world.resident, "post", f"/orders/{number}/complain", {"text": "地没拖干净"}).json()
    assert complained["complaint"] == Event.objects.get().code
    again = call(world.resident, "post", f"/orders/{number}/complain", {"text": "再投诉"})
    assert again.status_code == 409 and again.json()["code"] == "already_complained"


def test_a_grid_worker_lists_the_plan_and_records_a_visit(world, people, now):
    from shequ.registry import actions as registry
    from shequ.services.care import actions as care
    from shequ.services.models import CareVisit

    registry.tag(people.zhang, "elderly_alone", since=date(2025, 1, 1), by=None, source=registry.MANUAL)
    care.build_needs_list(region=world.c1, by=world.community_staff)
    [task] = call(world.grid_worker, "get", "/care/tasks").json()
    assert task["person"] == "张三" and task["state"] in ("today", "later", "overdue")
    assert call(world.grid_worker_g2, "get", "/care/tasks").json() == []
    assert call(world.resident, "get", "/care/tasks").status_code == 404
    url = f"/care/tasks/{task['id']}/visits"
    assert call(world.grid_worker_g2, "post", url, {"wellbeing": "good"}).status_code == 404
    bad = call(world.grid_worker, "post", url, {"wellbeing": "maybe"})
    assert bad.status_code == 400 and "code" in bad.json() and not CareVisit.objects.exists()
    lon, lat = world.point_in(world.g1)
    done = call(
        world.grid_worker, "post", url, {"wellbeing": "concern", "findings": "腿脚不便", "lon": lon, "lat": lat}
    )
    assert done.status_code == 201 and done.json()["location_ok"] is True
    assert CareVisit.objects.get().findings == "腿脚不便"


def test_a_department_lists_and_enters_its_aid(world, people, now):
    from shequ.access.models import Role, Unit
    from shequ.services.models import AidItem
    from tests.world import user

    civil = Unit.objects.create(code="D-MZJ", name="示范区民政局", region=world.district)
    disabled = Unit.objects.create(code="D-CL", name="示范区残联", region=world.district)
    civil_user, disabled_user = user("mzj", Role.UNIT_HANDLER, unit=civil), user("cl", Role.UNIT_HANDLER, unit=disabled)
    body = {
        "id_number": people.zhang.id_number,
        "name": "张三",
        "kind": "dibao",
        "start": "2026-01-01",
        "amount": "1200",
    }
    wrong = call(civil_user, "post", "/aid", {**body, "name": "张四"})
    assert wrong.status_code == 404 and wrong.json()["code"] == "not_found" and not AidItem.objects.exists()
    other = call(civil_user, "post", "/aid", {**body, "department": "D-CL"})
    assert other.status_code == 403 and other.json()["code"] == "not_own_department"
    assert call(civil_user, "post", "/aid", {**body, "amount": "很多"}).json()["code"] == "bad_amount"
    made = call(civil_user, "post", "/aid", body)
    assert made.status_code == 201 and made.json()["findings"] == [] and made.json()["item"]["amount"] == "1200.00"
    theirs = call(disabled_user, "post", "/aid", {**body, "kind": "tekun", "amount": "777", "start": "2026-03-01"})
    [finding] = theirs.json()["findings"]
    assert finding["kind"] == "overlap" and "1200" not in finding["detail"]
    listed = call(civil_user, "get", "/aid").json()
    assert listed["count"] == 1 and listed["results"][0]["amount"] == "1200.00"
    assert [f["department"] for f in listed["results"][0]["flags"]] == ["示范区残联"]
    assert "777" not in json.dumps(listed)
    assert call(world.community_staff, "get", "/aid").json()["count"] == 2
    assert call(world.community_staff_c3, "get", "/aid").json()["count"] == 0
    assert call(world.grid_worker, "get", "/aid").status_code == 404
    assert call(world.resident, "post", "/aid", body).status_code == 404
