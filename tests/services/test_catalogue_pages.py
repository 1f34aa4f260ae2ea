"""A provider's catalogue pages: its people publish a free basic or a paid value-added service inside its area, edit
it, add and remove times with a capacity; another provider, a resident and staff get a 404, and nothing changes."""

from __future__ import annotations

from django.test import Client

from shequ.audit.models import AuditEntry
from shequ.services.models import Service, Slot

from .conftest import NOW


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_provider_publishes_and_edits_its_services(world, providers, now):
    care = client_for(providers.care_staff)
    page = care.get("/services/provider/services/").content.decode()
    assert f'data-service="{providers.cleaning.pk}"' in page and f'data-service="{providers.meals.pk}"' in page
    shop_page = client_for(providers.shop_staff).get("/services/provider/services/").content.decode()
    assert f'data-service="{providers.cleaning.pk}"' not in shop_page  # only its own
    form = {"name": "上门理发", "area": world.c2.pk, "free": "0", "price": "", "at_home": "1"}
    no_price = care.post("/services/provider/services/", form)
    assert no_price.status_code == 400 and 'data-error="price"' in no_price.content.decode()
    outside = care.post("/services/provider/services/", {**form, "price": "20", "area": world.c3.pk})
    assert outside.status_code == 400 and 'data-error="area"' in outside.content.decode()
    garbled = care.post("/services/provider/services/", {**form, "price": "20", "area": "²"})
    assert garbled.status_code == 400  # bad input: a clear message, never a 500
    assert not Service.objects.filter(name="上门理发").exists()
    done = care.post("/services/provider/services/", {**form, "price": "20", "price_unit": "次"})
    assert done.status_code == 302
    haircut = Service.objects.get(name="上门理发")
    assert (haircut.free, haircut.price, haircut.area, haircut.at_home) == (False, 20, world.c2, True)
    assert AuditEntry.objects.filter(detail__action="service.publish").exists()
    # edit: free now, and no longer offered
    edit = {"name": "上门理发", "area": world.c2.pk, "free": "1", "price": "20"}
    assert care.post(f"/services/provider/services/{haircut.pk}/", edit).status_code == 302
    haircut.refresh_from_db()
    assert (haircut.free, haircut.price, haircut.active) == (True, 0, False)
    # another provider's people cannot open or change it
    shop = client_for(providers.shop_staff)
    assert shop.get(f"/services/provider/services/{haircut.pk}/").status_code == 404
    assert shop.post(f"/services/provider/services/{haircut.pk}/", {**edit, "name": "改名"}).status_code == 404
    assert client_for(world.resident).get("/services/provider/services/").status_code == 404
    assert client_for(world.community_staff).get("/services/provider/services/").status_code == 404
    haircut.refresh_from_db()
    assert haircut.name == "上门理发"


def test_a_provider_adds_and_removes_times(world, people, providers, now):
    care = client_for(providers.care_staff)
    url = f"/services/provider/services/{providers.meals.pk}/slots/"
    care.post(url, {"start": "2026-06-02T09:00", "end": "2026-06-02T08:00", "capacity": "3"})
    care.post(url, {"start": "2026-05-01T09:00", "end": "2026-05-01T10:00", "capacity": "3"})
    care.post(url, {"start": "2026-06-02T09:00", "end": "2026-06-02T10:00", "capacity": "0"})
    care.post(url, {"start": "明天", "end": "2026-06-02T10:00", "capacity": "x"})
    assert not Slot.objects.filter(service=providers.meals).exists()
    assert care.post(url, {"start": "2026-06-02T09:00", "end": "2026-06-02T11:00", "capacity": "3"}).status_code == 302
    slot = Slot.objects.get(service=providers.meals)
    assert slot.capacity == 3 and slot.start.date().isoformat() == "2026-06-02" and slot.start > NOW
    page = care.get(f"/services/provider/services/{providers.meals.pk}/").content.decode()
    assert f'data-slot="{slot.pk}"' in page
    assert client_for(providers.shop_staff).post(f"{url}{slot.pk}/remove/").status_code == 404
    # a time with orders stays
    from shequ.services.orders import actions

    actions.place(service=providers.cleaning, by=world.resident, slot=providers.slot)
    care.post(f"/services/provider/services/{providers.cleaning.pk}/slots/{providers.slot.pk}/remove/")
    assert Slot.objects.filter(pk=providers.slot.pk).exists()
    care.post(f"{url}{slot.pk}/remove/")
    assert not Slot.objects.filter(pk=slot.pk).exists()
