"""Service orders through the pages: a resident orders, the provider's people (only theirs) take it to done, the
resident confirms and rates; a complaint becomes an event."""

from __future__ import annotations

from django.test import Client

from shequ.events.models import Event
from shequ.services.models import OrderStatus, ServiceOrder


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_resident_orders_and_the_provider_does_it(world, people, providers, now):
    resident = client_for(world.resident)
    listed = resident.get("/services/my/services/").content.decode()
    assert f'data-service="{providers.cleaning.pk}"' in listed and f'data-service="{providers.meals.pk}"' in listed
    url = f"/services/my/services/{providers.cleaning.pk}/order/"
    assert resident.post(url, {"beneficiary": people.zhang.pk}).status_code == 400  # no time chosen
    assert resident.post(url, {"beneficiary": people.zhang.pk, "slot": providers.slot.pk}).status_code == 302
    order = ServiceOrder.objects.get()
    shop = client_for(providers.shop_staff)
    assert shop.get(f"/services/provider/orders/{order.number}/").status_code == 404
    assert f'data-order="{order.number}"' not in shop.get("/services/provider/").content.decode()
    care = client_for(providers.care_staff)
    page = care.get(f"/services/provider/orders/{order.number}/").content.decode()
    assert "张三" in page and people.zhang.id_number not in page  # the contact, never the ID number
    base = f"/services/provider/orders/{order.number}"
    care.post(f"{base}/accept/")
    care.post(f"{base}/assign/", {"worker": providers.care_worker.pk})
    care.post(f"{base}/complete/", {"note": "已打扫厨房"})
    order.refresh_from_db()
    assert (order.status, order.worker) == (OrderStatus.DONE, providers.care_worker)
    resident.post(f"/services/my/orders/{order.number}/confirm/", {"rating": "5", "comment": "很好"})
    resident.post(f"/services/my/orders/{order.number}/complain/", {"text": "迟到半小时"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.rating == 5 and order.complaint is not None
    assert Event.objects.get().pk == order.complaint_id
    assert client_for(world.resident2).get(f"/services/my/orders/{order.number}/").status_code == 404
