"""The demo's resident services: four providers of every kind with free and paid services and slots, the provider
account seeing only its own orders, orders in several states, the needs list, and aid with one planted overlap."""

from __future__ import annotations

from shequ.access.models import User
from shequ.services.models import AidFinding, AidItem, CareSubject, Provider, ServiceOrder, Slot
from shequ.services.orders.queries import orders_for


def test_the_demo_has_providers_orders_care_and_aid(demo_db):
    assert sorted(Provider.objects.values_list("kind", flat=True)) == ["home_care", "property", "shop", "volunteers"]
    assert Provider.objects.filter(services__free=True).exists() and Provider.objects.filter(services__free=False)
    assert Slot.objects.exists()
    statuses = set(ServiceOrder.objects.values_list("status", flat=True))
    assert {"placed", "accepted", "assigned", "done", "confirmed", "declined", "cancelled"} <= statuses
    fuwu = User.objects.get(username="fuwu")
    mine = orders_for(fuwu)
    assert mine.exists() and set(mine.values_list("provider__unit", flat=True)) == {fuwu.unit_id}
    assert CareSubject.objects.exists()
    assert AidItem.objects.count() >= 3
    assert AidFinding.objects.filter(kind="overlap").count() >= 1
