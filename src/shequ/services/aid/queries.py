"""Reads of the aid ledger, by who asks.

- A department (a unit handler of an aid-giving unit: 民政, 残联 ...) sees its own aid in full, and of other
  departments' aid only that a person is already helped (department, kind, since: never an amount).
- The desks (community staff, street and district dispatchers) see the ledger of the people of their area (the
  community keeps the one ledger), administrators all of it.
- Nobody else sees any of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from shequ.access.models import Role, Unit, User
from shequ.access.scopes import area_prefix, manages_area
from shequ.core import clock
from shequ.core.errors import NotFound
from shequ.registry.models import Person
from shequ.registry.queries import current_residences, people_with_id_number, scoped_people

from ..models import AidFinding, AidItem, CareSubject


def department_of(user: User) -> Unit | None:
    """The department a unit handler records aid for (their own unit)."""
    if user.is_authenticated and user.role == Role.UNIT_HANDLER and user.unit_id:
        return user.unit
    return None


def sees_aid(user: User) -> bool:
    return manages_area(user) or department_of(user) is not None


def items_for(user: User) -> QuerySet[AidItem]:
    base = AidItem.objects.select_related("kind", "department", "person", "household")
    department = department_of(user)
    if department is not None:
        return base.filter(department=department)
    if not manages_area(user):
        return base.none()
    prefix = area_prefix(user) or ""
    return base.filter(area_code__startswith=prefix) if prefix else base


def get_item_for(user: User, pk: Any) -> AidItem:
    try:
        return items_for(user).get(pk=pk)
    except (AidItem.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def current(qs: QuerySet[AidItem], day: date | None = None) -> QuerySet[AidItem]:
    day = day or clock.now().date()
    return qs.filter(Q(end__isnull=True) | Q(end__gte=day), start__lte=day)


@dataclass(frozen=True)
class Flag:
    """Another department's aid, as a department may see it: who gives what since when, no amount."""

    department: str
    kind: str
    since: date


def flags_for(user: User, person_ids: list[int]) -> dict[int, list[Flag]]:
    """For a department: other departments' current aid to these people (or their households), as flags."""
    department = department_of(user)
    if department is None or not person_ids:
        return {}
    homes = dict(
        current_residences()
        .filter(person_id__in=person_ids, household__isnull=False)
        .values_list("household_id", "person_id")
    )
    rows = (
        current(AidItem.objects.exclude(department=department))
        .filter(Q(person_id__in=person_ids) | Q(household_id__in=list(homes)))
        .values_list("person_id", "household_id", "department__name", "kind__name", "start")
    )
    flags: dict[int, list[Flag]] = {}
    for person_id, household_id, dept, kind, since in rows:
        owner = person_id or homes.get(household_id)
        if owner is not None:
            flags.setdefault(owner, []).append(Flag(dept, kind, since))
    return flags


def findings_for(user: User) -> QuerySet[AidFinding]:
    base = AidFinding.objects.select_related("aid__kind", "other__kind", "other__department", "department", "person")
    department = department_of(user)
    if department is not None:
        return base.filter(Q(department=department) | Q(other__department=department))
    if not manages_area(user):
        return base.none()
    prefix = area_prefix(user) or ""
    return base.filter(area_code__startswith=prefix) if prefix else base


def get_finding_for(user: User, pk: Any) -> AidFinding:
    try:
        return findings_for(user).get(pk=pk)
    except (AidFinding.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def unhelped(user: User) -> QuerySet[CareSubject]:
    """People on the needs list in the user's area receiving no aid today (themselves or through their household):
    for the desks only (a department does not see the needs list)."""
    if not manages_area(user):
        return CareSubject.objects.none()
    prefix = area_prefix(user) or ""
    today = clock.now().date()
    mine = current(AidItem.objects.all(), today)
    households = current_residences().filter(person_id=OuterRef("person_id"), household__isnull=False)
    helped = Exists(mine.filter(person_id=OuterRef("person_id"))) | Exists(
        mine.filter(household_id__in=households.values("household_id"))
    )
    qs = CareSubject.objects.filter(active=True).exclude(helped).select_related("person", "grid")
    return qs.filter(grid__code__startswith=prefix) if prefix else qs


def find_recipient(user: User, *, id_number: str, name: str) -> Person:
    """The person an entry is for, by ID number and name together (both must match: a wrong name finds nobody, so
    the form is no oracle on ID numbers). A desk finds only people of its area; a department anyone in the base."""
    name = (name or "").strip()
    found = people_with_id_number((id_number or "").strip()) if id_number else Person.objects.none()
    if department_of(user) is None:
        found = found.filter(pk__in=scoped_people(user).values("pk"))
    person = found.filter(merged_into__isnull=True).first()
    if person is None or person.name != name:
        raise NotFound(_no_such_person())
    return person


def _no_such_person() -> str:
    from django.utils.translation import gettext as _

    return _("No person with this ID number and name in the community base (within your area).")
