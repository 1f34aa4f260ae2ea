"""Online affairs over the JSON API: the form asks only what the base lacks, applying, the steps, scopes, and the
public verification of a certificate's code; errors are {code, message}."""

from __future__ import annotations

import json

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
