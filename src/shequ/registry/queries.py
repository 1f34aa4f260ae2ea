"""Reads of the community base: who lives in an area, a record as it was, where each value came from.

Scoping by the user's area and masking by sensitivity belong to the access issue; these reads are the single
access point it will extend.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from shequ.core import clock
from shequ.geo.models import Region

from .models import Change, Person, Residence


def current_residences() -> QuerySet[Residence]:
    """Residences open today: no end, or an end still to come."""
    today = clock.now().date()
    return Residence.objects.filter(Q(end__isnull=True) | Q(end__gt=today), start__lte=today)


def people_in(region: Region | str) -> QuerySet[Person]:
    """People with a current residence in a dwelling whose building sits in the region (code prefix)."""
    code = region.code if isinstance(region, Region) else region
    residences = current_residences().filter(dwelling__building__grid__code__startswith=code)
    return Person.objects.filter(pk__in=residences.values("person_id"))


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
