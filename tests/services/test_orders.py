"""Service orders: every step and refusal, slot capacity, provider isolation, complaints into the event loop."""

from __future__ import annotations

import pytest

from shequ.core.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from shequ.events.models import Event
from shequ.registry import actions as registry
from shequ.services.models import OrderStatus, ServiceOrder
from shequ.services.orders import actions, queries

from .conftest import png, resident


def test_a_resident_orders_and_the_provider_does_it(world, people, providers, now):
    assert {s.name for s in queries.services_for(world.resident)} == {"助洁服务", "助餐配送"}
    assert not queries.services_for(world.resident2).exists()  # G3 is outside both services' areas
    order = actions.place(service=providers.cleaning, by=world.resident, slot=providers.slot, request="擦窗")
    assert order.status == OrderStatus.PLACED and order.number.startswith("FW20260601")
    assert (order.contact_name, order.contact_phone) == ("张三", "13800138000")
    assert order.address.endswith("101室") and order.price == 0
    order = actions.accept(order, by=providers.care_staff)
    order = actions.assign(order, by=providers.care_staff, worker=providers.care_worker)
    assert order.worker == providers.care_worker
    with pytest.raises(InvalidInput):
        actions.complete(order, by=providers.care_worker, note="")
    order = actions.complete(order, by=providers.care_worker, note="已擦窗", photos=[png("after.png")])
    assert order.status == OrderStatus.DONE and order.photos.count() == 1
    with pytest.raises(PermissionDenied):
        actions.confirm(order, by=providers.care_staff, rating=5)
    with pytest.raises(InvalidInput):
        actions.confirm(order, by=world.resident, rating=6)
    order = actions.confirm(order, by=world.resident, rating=5, comment="很好")
    assert (order.status, order.rating) == (OrderStatus.CONFIRMED, 5)
    assert list(order.timeline.values_list("action", flat=True)) == ["place", "accept", "assign", "complete", "confirm"]


def test_a_paid_service_keeps_its_price_and_no_slot_is_needed(world, people, providers, now):
    order = actions.place(service=providers.meals, by=world.resident)
    assert order.price == 15 and order.slot is None
    with pytest.raises(InvalidInput) as refused:
        actions.place(service=providers.cleaning, by=world.resident)
    assert refused.value.code == "slot_required"


def test_a_full_slot_takes_no_more_orders(world, people, providers, now):
    actions.place(service=providers.cleaning, by=world.resident, slot=providers.slot)
    actions.place(service=providers.cleaning, by=world.resident, slot=providers.slot)
    with pytest.raises(InvalidInput) as full:
        actions.place(service=providers.cleaning, by=world.resident, slot=providers.slot)
    assert full.value.code == "slot_full" and ServiceOrder.objects.count() == 2


def test_a_resident_orders_for_their_household_only(world, people, providers, now):
    household = registry.create_household(
        people.zhang.residences.get().dwelling, number="H1", head=people.zhang, by=None, source=registry.MANUAL
    )
    people.zhang.residences.update(household=household)
    mother = resident(world.g1, "张母", room="104")
    mother.residences.update(household=household)
    assert [p.name for p in queries.household_of(people.zhang)] == ["张三", "张母"]
    order = actions.place(service=providers.meals, by=world.resident, beneficiary=mother, phone="13800138001")
    assert order.beneficiary == mother and order.contact_name == "张母"
    with pytest.raises(PermissionDenied):
        actions.place(service=providers.meals, by=world.resident, beneficiary=people.li)
    assert ServiceOrder.objects.count() == 1


def test_providers_see_only_their_own_orders(world, people, providers, now):
    order = actions.place(service=providers.meals, by=world.resident)
    assert list(queries.orders_for(providers.care_staff)) == [order]
    assert not queries.orders_for(providers.shop_staff).exists()
    with pytest.raises(NotFound):
        queries.get_order_for(providers.shop_staff, order.number)
    for wrong in (providers.shop_staff, world.resident):
        with pytest.raises(PermissionDenied):
            actions.accept(order, by=wrong)
    with pytest.raises(InvalidInput):  # the shop's staff cannot be made the agency's worker
        actions.assign(
            actions.accept(order, by=providers.care_staff), by=providers.care_staff, worker=providers.shop_staff
        )
    assert ServiceOrder.objects.get(pk=order.pk).worker is None
    # The community sees its area's orders; another community does not.
    assert queries.orders_for(world.community_staff).filter(pk=order.pk).exists()
    assert not queries.orders_for(world.community_staff_c3).exists()


def test_decline_cancel_and_their_refusals(world, people, providers, now):
    order = actions.place(service=providers.meals, by=world.resident)
    with pytest.raises(InvalidInput):
        actions.decline(order, by=providers.care_staff, reason=" ")
    order = actions.decline(order, by=providers.care_staff, reason="今日已满")
    with pytest.raises(InvalidTransition):
        actions.cancel(order, by=world.resident)
    second = actions.place(service=providers.meals, by=world.resident)
    assert actions.cancel(second, by=world.resident).status == OrderStatus.CANCELLED
    with pytest.raises(InvalidTransition):
        actions.accept(second, by=providers.care_staff)


def test_a_complaint_becomes_an_event_once(world, people, providers, now):
    order = actions.place(service=providers.meals, by=world.resident)
    event = actions.complain(order, by=world.resident, text="送餐迟到两小时")
    assert isinstance(event, Event) and event.grid == world.g1 and event.reporter == world.resident
    assert "送餐迟到两小时" in event.description and order.number in event.description
    with pytest.raises(InvalidTransition):
        actions.complain(order, by=world.resident, text="again")
    assert Event.objects.count() == 1
    assert ServiceOrder.objects.get(pk=order.pk).complaint == event


def test_providers_publish_services_inside_their_area(world, providers, now):
    service = actions.publish_service(
        provider=providers.care, by=providers.care_staff, name="助浴", area=world.c2, free=False, price="80"
    )
    assert service.price == 80 and not service.free
    for bad in ({"area": world.c3}, {"free": False, "price": 0}, {"price": "abc", "free": False}):
        with pytest.raises(InvalidInput):
            actions.publish_service(
                provider=providers.care, by=providers.care_staff, name="x", **{"area": world.c1, **bad}
            )
    with pytest.raises(PermissionDenied):
        actions.publish_service(provider=providers.care, by=providers.shop_staff, name="x", area=world.c1)
