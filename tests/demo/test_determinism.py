from __future__ import annotations

from shequ.access.models import Unit, User
from shequ.demo.generator import load
from shequ.events.models import Duty, Event, EventSequence, TimelineEntry
from shequ.geo.models import Building, Dwelling, Region, RegionLevel
from shequ.registry.models import (
    Change,
    Employment,
    Household,
    Organization,
    OrganizationTag,
    Person,
    PersonTag,
    Residence,
)

from .conftest import NOW


def snapshot() -> dict:
    return {
        "regions": list(Region.objects.values_list("code", "name", "boundary", "center_lon", "center_lat")),
        "buildings": list(Building.objects.order_by("pk").values_list("grid__code", "address", "lon", "lat", "floors")),
        "dwellings": list(
            Dwelling.objects.order_by("pk").values_list("building__address", "entrance", "floor", "room", "use")
        ),
        "units": list(Unit.objects.values_list("code", "name", "region__code")),
        "duties": sorted(Duty.objects.values_list("category__code", "region__code", "unit__code")),
        "users": sorted(User.objects.values_list("username", "name", "role", "region__code", "unit__code")),
        "events": list(
            Event.objects.order_by("code").values_list(
                "code",
                "status",
                "category__code",
                "level__code",
                "desk__code",
                "unit__code",
                "area_code",
                "description",
                "reported_at",
                "deadline",
                "overdue",
                "rating",
            )
        ),
        "people": list(
            Person.objects.order_by("pk").values_list(
                "id_number", "name", "gender", "birth_date", "phone", "ethnicity", "residency", "hukou_address", "note"
            )
        ),
        "households": list(Household.objects.order_by("pk").values_list("dwelling__room", "number", "head__name")),
        "residences": list(
            Residence.objects.order_by("pk").values_list("person__name", "dwelling__room", "role", "start", "end")
        ),
        "person_tags": list(PersonTag.objects.order_by("pk").values_list("person__name", "tag__code", "since")),
        "organizations": list(
            Organization.objects.order_by("pk").values_list(
                "credit_code", "name", "type", "address", "contact_name", "contact_phone", "legal_representative"
            )
        ),
        "organization_tags": list(
            OrganizationTag.objects.order_by("pk").values_list("organization__name", "tag__code", "since")
        ),
        "employments": list(
            Employment.objects.order_by("pk").values_list(
                "person__name", "organization__name", "position", "start", "end"
            )
        ),
        "changes": Change.objects.count(),
        "timeline": list(
            TimelineEntry.objects.order_by("event__code", "at", "id").values_list("event__code", "action", "at")
        ),
        **services_snapshot(),
    }


def services_snapshot() -> dict:  # services: the demo's providers, orders and aid (demo/services.py)
    from shequ.services.models import AidItem, ServiceOrder

    return {
        "orders": list(
            ServiceOrder.objects.order_by("placed_at", "pk").values_list("service__name", "status", "placed_at")
        ),
        "aid": list(AidItem.objects.order_by("pk").values_list("kind__code", "person__name", "start", "amount")),
    }


def wipe_services() -> None:
    from shequ.services import models as s

    for model in (s.AidFinding, s.AidItem, s.CareVisit, s.CareEntry, s.CareTask, s.CareSubject, s.OrderEntry):
        model.objects.all().delete()
    for model in (s.OrderPhoto, s.ServiceOrder, s.Slot, s.Service, s.Provider):
        model.objects.all().delete()


def wipe() -> None:
    """Everything the demo made below the catalog, children before parents."""
    from shequ.devices.models import CarPark, Device, Rule  # devices: their rows first (they hold buildings)

    Device.objects.all().delete(), CarPark.objects.all().delete(), Rule.objects.all().delete()
    wipe_services()
    Change.objects.all().delete()
    PersonTag.objects.all().delete()
    OrganizationTag.objects.all().delete()
    Residence.objects.all().delete()
    Employment.objects.all().delete()
    Household.objects.all().delete()
    Person.objects.all().delete()
    Organization.objects.all().delete()
    TimelineEntry.objects.all().delete()
    Event.objects.all().delete()
    EventSequence.objects.all().delete()
    Duty.objects.all().delete()
    User.objects.all().delete()
    Unit.objects.all().delete()
    Dwelling.objects.all().delete()
    Building.objects.all().delete()
    for level in reversed(RegionLevel.values):
        Region.objects.filter(level=level).delete()


def test_it_builds_the_same_district_people_and_events_from_the_same_seed(db):
    load(seed=3, scale="tiny", events=25, now=NOW)
    first = snapshot()
    wipe()
    load(seed=3, scale="tiny", events=25, now=NOW)
    assert snapshot() == first
    assert len(first["events"]) == 25 and len(first["regions"]) == 18
    assert len(first["people"]) > 1000 and len(first["organizations"]) > 50 and first["employments"]


def test_it_builds_a_different_district_from_another_seed(db):
    load(seed=3, scale="tiny", events=0, now=NOW)
    first = snapshot()
    wipe()
    load(seed=4, scale="tiny", events=0, now=NOW)
    second = snapshot()
    assert len(second["regions"]) == len(first["regions"])  # the same scale
    assert [r[2] for r in second["regions"]] != [r[2] for r in first["regions"]]  # other shapes
    assert {p[0] for p in second["people"]}.isdisjoint(p[0] for p in first["people"] if p[0])  # other people
