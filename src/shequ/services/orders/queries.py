"""Reads of services and orders, and who is who.

A provider's people (users of its unit: role provider, or property company for a property company) see only the
orders made to their provider; a resident sees the orders they placed; area staff see the orders of people living
in their area (supervision, complaints). Anything else is ``NotFound``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from shequ.access.models import Role, User
from shequ.access.scopes import area_prefix
from shequ.core import clock
from shequ.core.errors import NotFound
from shequ.registry.models import Person
from shequ.registry.queries import current_residences, person_of

from ..models import HOLDING_STATUSES, Provider, Service, ServiceOrder, Slot

PROVIDER_ROLES = (Role.PROVIDER, Role.PROPERTY_COMPANY)


def provider_of(user: User) -> Provider | None:
    """The provider this user works for (by their unit), if any."""
    if not user.is_authenticated or user.role not in PROVIDER_ROLES or not user.unit_id:
        return None
    return Provider.objects.filter(unit_id=user.unit_id, active=True).first()


def is_provider_staff(user: User, provider: Provider) -> bool:
    return user.is_authenticated and user.role in PROVIDER_ROLES and user.unit_id == provider.unit_id


def workers_of(provider: Provider) -> QuerySet[User]:
    return User.objects.filter(unit_id=provider.unit_id, role__in=PROVIDER_ROLES, is_active=True).order_by("name")


# --- what a resident may order ---------------------------------------------------------------------------------


def home_grids(person: Person) -> list[str]:
    return sorted(
        set(current_residences().filter(person=person).values_list("dwelling__building__grid__code", flat=True))
    )


def _covering(codes: list[str]) -> Q:
    """A service whose area is one of these regions or holds one of them."""
    prefixes = {code[:n] for code in codes for n in (6, 9, 12, 15) if n <= len(code)}
    return Q(area__code__in=sorted(prefixes))


def offered_in(grid_code: str) -> QuerySet[Service]:
    """Active services of active providers offered in this grid that take no time slot (what a grid worker may
    order for the person visited, from the visit's page)."""
    return (
        Service.objects.filter(_covering([grid_code]), active=True, provider__active=True)
        .annotate(slot_count=Count("slots"))
        .filter(slot_count=0)
        .select_related("provider")
        .order_by("-free", "provider__name", "name")
    )


def services_for(user: User) -> QuerySet[Service]:
    """Active services of active providers offered where the resident lives."""
    person = person_of(user)
    grids = home_grids(person) if person is not None else []
    if not grids:
        return Service.objects.none()
    return (
        Service.objects.filter(_covering(grids), active=True, provider__active=True)
        .select_related("provider", "area")
        .order_by("-free", "provider__name", "name")
    )


def get_service_for(user: User, pk: Any) -> Service:
    try:
        return services_for(user).get(pk=pk)
    except (Service.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def open_slots(service: Service) -> list[Slot]:
    """Slots still to come with room left, each with ``taken`` (orders holding a place)."""
    slots = (
        service.slots.filter(start__gt=clock.now())
        .annotate(taken=Count("serviceorder", filter=Q(serviceorder__status__in=HOLDING_STATUSES)))
        .order_by("start")
    )
    return [s for s in slots if s.taken < s.capacity]  # type: ignore[attr-defined]


def household_of(person: Person) -> list[Person]:
    """The person and the other current members of their current households (whom they may order for)."""
    households = current_residences().filter(person=person, household__isnull=False).values("household_id")
    members = current_residences().filter(household_id__in=households).values("person_id")
    others = Person.objects.current().filter(pk__in=members).exclude(pk=person.pk).order_by("name", "pk")
    return [person, *others]


# --- who sees which order --------------------------------------------------------------------------------------


def orders_for(user: User) -> QuerySet[ServiceOrder]:
    base = ServiceOrder.objects.select_related("service", "provider", "slot", "worker")
    if not user.is_authenticated:
        return base.none()
    if user.role in PROVIDER_ROLES:
        provider = provider_of(user)
        return base.filter(provider=provider) if provider is not None else base.none()
    if user.is_staff_role:
        prefix = area_prefix(user)
        if prefix is None:
            return base.none()
        return base.filter(area_code__startswith=prefix) if prefix else base
    return base.filter(ordered_by=user)


def get_order_for(user: User, number: Any) -> ServiceOrder:
    found = orders_for(user).filter(number=str(number)).first()
    if found is None:
        raise NotFound()
    return found


def services_of(provider: Provider) -> QuerySet[Service]:
    return provider.services.select_related("area").order_by("name")


def orders_for_detail(order: ServiceOrder) -> ServiceOrder:
    """The order again with what its detail shows (after a step, whose locked row lacks the relations)."""
    return ServiceOrder.objects.select_related("service", "provider", "slot", "worker", "complaint").get(pk=order.pk)
