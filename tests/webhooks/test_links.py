"""End to end, over HTTP both ways: a property company's system gets the events routed to it and answers through
the events API as its unit; the city's 12345 platform sends a work order in and gets its outcome and rating back.

Each change is committed, the send runs after commit (the in-process task backend) and reaches a real HTTP
server on 127.0.0.1, which checks the signature as a receiver would."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from shequ.access.models import Role, Unit
from shequ.events import actions as loop
from shequ.events.models import Channel, Duty, Event, Status
from shequ.webhooks import sending
from shequ.webhooks.models import Delivery, DeliveryStatus
from tests.webhooks.conftest import Receiver, subscribe
from tests.world import World, token_for, user

pytestmark = pytest.mark.django_db


def api(key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"})


def post(client: Client, path: str, body: dict) -> dict:
    resp = client.post("/api" + path, body, content_type="application/json")
    assert resp.status_code in (200, 201), resp.content.decode()
    return resp.json()


def verified(receiver: Receiver, secret: str) -> list[dict]:
    """Every body the receiver got, each checked against its signature."""
    bodies = []
    for got in receiver.received:
        assert sending.verify(got.body, got.headers["X-Shequ-Signature"], secret), "bad signature"
        body = json.loads(got.body)
        assert got.headers["X-Shequ-Delivery"] == body["delivery"]
        bodies.append(body)
    return bodies


def test_a_property_company_gets_its_event_and_answers_as_its_unit(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    company = Unit.objects.create(code="C1-WY", name="一社区物业服务中心", region=world.c1)
    Duty.objects.create(category=world.noise, region=world.c1, unit=company)
    system = user("wuye-system", Role.UNIT_HANDLER, unit=company)  # the company's system acts as its unit
    sub, secret = subscribe(
        world,
        by=world.street_dispatcher,
        owner=system,
        owner_unit=company,
        url=receiver.url,
        areas=[world.s1],
        units=[company],
    )
    resident, desk = api(token_for(world.resident)), api(token_for(world.community_staff))

    with django_capture_on_commit_callbacks(execute=True):
        code = post(resident, "/events", {"description": "楼上装修噪声", "category": "0201", "region": world.g1.code})[
            "code"
        ]
        post(desk, f"/events/{code}/accept", {})
        detail = post(desk, f"/events/{code}/dispatch", {})
    assert detail["status"] == "dispatched" and detail["unit"]["code"] == "C1-WY"

    (dispatched,) = verified(receiver, secret)  # report and accept were not the company's yet
    assert dispatched["event"] == code and dispatched["action"] == "dispatch"
    assert dispatched["state"] == "dispatched" and dispatched["unit"]["code"] == "C1-WY"
    assert dispatched["description"] == "楼上装修噪声"
    assert dispatched["deadline"] is not None

    # The company's system answers through the events API with its own key, as the unit.
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(api(token_for(system)), f"/events/{dispatched['event']}/handle", {"result": "已与业主沟通，停工"})
    assert answer["status"] == "handled"
    event = Event.objects.get(code=code)
    assert event.status == Status.HANDLED and event.handled_by == system and event.result == "已与业主沟通，停工"
    last = event.timeline.latest("id")
    assert last.action == "handle" and last.actor == system and last.unit == company

    # Its own answer comes back to it too (the change of an event routed to it), signed the same way.
    handled = verified(receiver, secret)[-1]
    assert handled["action"] == "handle" and handled["outcome"]["result"] == "已与业主沟通，停工"
    assert set(Delivery.objects.filter(subscription=sub).values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_the_citys_work_order_gets_its_outcome_and_rating_back(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    city_key = token_for(world.system, channel=Channel.HOTLINE)
    city = api(city_key)
    _sub, secret = subscribe(
        world,
        owner=world.system,
        url=receiver.url,
        channels=[Channel.HOTLINE],
        actions=["verify_pass", "reject", "rate", "reopen"],
    )
    order = {"description": "小区门口垃圾满溢", "category": "0101", "region": world.g1.code, "source_ref": "12345-0001"}
    with django_capture_on_commit_callbacks(execute=True):
        code = post(city, "/events", order)["code"]
        assert post(city, "/events", order)["code"] == code  # the city retrying: the same work order
        event = Event.objects.get(code=code)
        assert event.channel == Channel.HOTLINE
        event = loop.accept(event, by=world.community_staff)
        event = loop.dispatch(event, by=world.community_staff)
        event = loop.handle(event, by=world.handler, result="已清运并消毒")
        loop.verify(event, by=world.grid_worker, passed=True)
    (closed,) = verified(receiver, secret)
    assert closed["event"] == code and closed["source_ref"] == "12345-0001"
    assert closed["state"] == "closed" and closed["channel"] == "hotline"
    assert closed["outcome"]["result"] == "已清运并消毒" and closed["outcome"]["closed_at"]

    # 回访: the city's follow-up rating, through the API as the work order's reporter, goes back as well.
    with django_capture_on_commit_callbacks(execute=True):
        post(city, f"/events/{code}/rate", {"score": 5, "comment": "满意"})
    rated = verified(receiver, secret)[-1]
    assert rated["action"] == "rate" and rated["outcome"]["rating"] == 5
    assert rated["outcome"]["rating_comment"] == "满意"
    assert len(receiver.received) == 2
