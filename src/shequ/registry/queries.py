"""Reads of the community base: who lives in an area, a record as it was, where each value came from.

``*_for(user)`` and ``get_*_for(user, pk)`` are the one access point of the base: every page, API call, export and
task reads records through them, so the user's area applies everywhere (masking by sensitivity and the audit trail
will extend these same functions). A record outside the area is a ``NotFound``, like a missing one.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from shequ.access.models import User
from shequ.access.scopes import area_prefix
from shequ.core import clock
from shequ.core.errors import NotFound
from shequ.geo.models import Building, Dwelling, Region

from .models import Change, Household, Organization, Person, Residence


def current_residences() -> QuerySet[Residence]:
    """Residences open today: no end, or an end still to come."""
    today = clock.now().date()
    return Residence.objects.filter(Q(end__isnull=True) | Q(end__gt=today), start__lte=today)


def people_in(region: Region | str) -> QuerySet[Person]:
    """People with a current residence in a dwelling whose building sits in the region (code prefix)."""
    code = region.code if isinstance(region, Region) else region
    residences = current_residences().filter(dwelling__building__grid__code__startswith=code)
    return Person.objects.current().filter(pk__in=residences.values("person_id"))


# --- the access point ---------------------------------------------------------------------------


def dwellings_for(user: User) -> QuerySet[Dwelling]:
    prefix = area_prefix(user)
    if prefix is None:
        return Dwelling.objects.none()
    return Dwelling.objects.filter(building__grid__code__startswith=prefix)


def buildings_for(user: User) -> QuerySet[Building]:
    prefix = area_prefix(user)
    if prefix is None:
        return Building.objects.none()
    return Building.objects.filter(grid__code__startswith=prefix)


def people_for(user: User) -> QuerySet[Person]:
    """People living now in the user's area. Administrators also see people with no known dwelling."""
    prefix = area_prefix(user)
    if prefix is None:
        return Person.objects.none()
    if prefix == "":
        return Person.objects.current()
    return people_in(prefix)


def households_for(user: User) -> QuerySet[Household]:
    prefix = area_prefix(user)
    if prefix is None:
        return Household.objects.none()
    return Household.objects.filter(dwelling__building__grid__code__startswith=prefix)


def organizations_for(user: User) -> QuerySet[Organization]:
    """Organisations whose premises are in the user's area. Administrators also see those with no premises."""
    prefix = area_prefix(user)
    if prefix is None:
        return Organization.objects.none()
    if prefix == "":
        return Organization.objects.all()
    return Organization.objects.filter(premises__building__grid__code__startswith=prefix)


def _get(queryset: QuerySet, pk: Any) -> Any:
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def get_person_for(user: User, pk: Any) -> Person:
    return _get(people_for(user), pk)


def get_household_for(user: User, pk: Any) -> Household:
    return _get(households_for(user), pk)


def get_dwelling_for(user: User, pk: Any) -> Dwelling:
    return _get(dwellings_for(user), pk)


def get_building_for(user: User, pk: Any) -> Building:
    return _get(buildings_for(user), pk)


def get_organization_for(user: User, pk: Any) -> Organization:
    return _get(organizations_for(user), pk)


# --- history ---------------------------------------------------------------------------------------


def _history(person: Person) -> QuerySet[Change]:
    return Change.objects.filter(record_type="person", record_id=person.pk).order_by("at", "id")


def _load(name: str, text: str | None) -> Any:
    field = Person._meta.get_field(name)
    if text is None:
        return None if field.null else ""
    return field.to_python(text)


def person_as_of(person: Person, when: datetime | date) -> dict[str, Any] | None:
    """The person's tracked fields as they were at ``when``, rebuilt from the Change history.

    A date means the end of that day, local time. ``None`` if the record did not exist yet."""
    if not isinstance(when, datetime):
        when = timezone.make_aware(datetime.combine(when, time.max))
    changes = list(_history(person).filter(at__lte=when))
    if not changes:
        return None
    values = {name: _load(name, None) for name in Person.TRACKED}
    for change in changes:
        values[change.field] = _load(change.field, change.new_value)
    return values


def field_sources(person: Person) -> dict[str, Change]:
    """For each field with a value, the Change that set its current value (who, when, from which source)."""
    latest: dict[str, Change] = {}
    for change in _history(person).select_related("actor"):
        latest[change.field] = change
    return {name: change for name, change in latest.items() if change.new_value is not None}
