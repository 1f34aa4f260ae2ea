"""Reads of affairs and applications, and who may take which step.

Staff see the applications of applicants living in their area (by the application's ``area_code``); a resident sees
the applications made for their own person; anything else is ``NotFound``. The smart form is the collection app's
(``collection.queries.asks_for``): person fields the base holds and has had confirmed recently are shown, not asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from shequ.access.models import ROLE_LEVEL, Role, User
from shequ.access.scopes import area_prefix, covers, manages_area
from shequ.collection.queries import Ask, asks_for, choices_for, collectible_fields
from shequ.core.errors import NotFound
from shequ.geo.models import RegionLevel
from shequ.registry.dictionary import Field
from shequ.registry.models import Person, Residence
from shequ.registry.queries import current_residences, person_of

from ..models import Affair, Application, AppStatus, Certificate

# The address of a certificate's holder: the base's current dwelling, shown, never asked.
ADDRESS = "residence.dwelling"


def affairs() -> QuerySet[Affair]:
    return Affair.objects.filter(active=True).order_by("order", "code")


def get_affair(code: Any) -> Affair:
    found = affairs().filter(code=str(code)).first()
    if found is None:
        raise NotFound()
    return found


def may_edit_affairs(user: User) -> bool:
    """The catalogue is the district's: district dispatchers and administrators edit it."""
    return user.is_authenticated and (user.sees_everything or user.role == Role.DISTRICT_DISPATCHER)


# --- the form ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    field: Field
    value: str


@dataclass
class Form:
    """What an application for ``affair`` by ``person`` shows (from the base) and asks."""

    affair: Affair
    person: Person
    known: list[Known] = field(default_factory=list)
    asks: list[Ask] = field(default_factory=list)
    address: str = ""
    home: Residence | None = None

    def ask(self, name: str) -> Ask | None:
        return next((a for a in self.asks if a.name == name), None)


def dictionary_fields(names: list[str]) -> dict[str, Field]:
    return {f.name: f for f in Field.objects.filter(name__in=names).select_related("code_table")}


def home_of(person: Person) -> Residence | None:
    """The person's current home (the first open residence), with its building and grid."""
    return (
        current_residences()
        .filter(person=person)
        .select_related("dwelling__building__grid__parent")
        .order_by("start", "id")
        .first()
    )


def form_for(affair: Affair, person: Person, *, at: datetime | None = None) -> Form:
    """The affair's fields for this person: person fields the base has fresh are ``known`` (shown), the missing or
    stale ones and the application's own fields are ``asks`` (the person's values prefilled)."""
    names = list(affair.fields)
    asked = {a.field.name: a for a in asks_for(person, names, at=at)}
    collectible = {f.name for f in collectible_fields()}
    fields = dictionary_fields(names)
    home = home_of(person)
    form = Form(affair=affair, person=person, home=home, address=str(home.dwelling) if home else "")
    for name in names:
        if name in asked:
            form.asks.append(asked[name])
        elif name in collectible:
            value = getattr(person, fields[name].attribute)
            form.known.append(Known(fields[name], "" if value is None else str(value)))
        elif name.startswith("application.") and name in fields:
            f = fields[name]
            form.asks.append(Ask(field=f, value="", missing=True, last_seen=None, choices=choices_for(f)))
    return form


def answers_of(application: Application) -> dict[str, str]:
    return json.loads(application.answers) if application.answers else {}


# --- who sees which application ----------------------------------------------------------------------------


def applications_for(user: User) -> QuerySet[Application]:
    base = Application.objects.select_related("affair", "applicant", "community")
    if not user.is_authenticated:
        return base.none()
    if user.role == Role.RESIDENT or not user.is_staff_role:
        person = person_of(user)
        return base.filter(applicant=person) if person is not None else base.none()
    prefix = area_prefix(user)
    if prefix is None:
        return base.none()
    return base.filter(area_code__startswith=prefix) if prefix else base


def get_application_for(user: User, number: Any) -> Application:
    found = applications_for(user).filter(number=str(number)).first()
    if found is None:
        raise NotFound()
    return found


def todo_for(user: User) -> dict[str, QuerySet[Application]]:
    """The applications waiting for this user: to accept (the community desk) and to review at their level."""
    qs = applications_for(user)
    lists: dict[str, QuerySet[Application]] = {}
    if may_accept_any(user):
        lists["to_accept"] = qs.filter(status=AppStatus.SUBMITTED)
    level = review_level_of(user)
    if level is not None:
        waiting = [a.pk for a in qs.filter(status=AppStatus.REVIEWING).select_related("affair") if level_of(a) == level]
        lists["to_review"] = qs.filter(pk__in=waiting)
    lists["overdue"] = qs.filter(overdue=True, status__in=[AppStatus.SUBMITTED, AppStatus.REVIEWING])
    return lists


# --- who may take which step -------------------------------------------------------------------------------


def may_apply_for(user: User, person: Person) -> bool:
    """A resident for their own person; staff of the applicant's area at the counter (代办)."""
    if not user.is_authenticated:
        return False
    if not user.is_staff_role:
        own = person_of(user)
        return own is not None and own.pk == person.pk
    home = home_of(person)
    return home is not None and covers(user, home.dwelling.building.grid.code)


def may_accept_any(user: User) -> bool:
    return manages_area(user)


def may_accept(user: User, application: Application) -> bool:
    """受理: community staff (and the desks above, and administrators) of the applicant's area."""
    return manages_area(user) and covers(user, application.area_code)


def level_of(application: Application) -> str:
    levels = application.affair.levels()
    return levels[min(application.level, len(levels) - 1)]


def review_level_of(user: User) -> str | None:
    """The region level this user reviews at (administrators review at any)."""
    if user.sees_everything:
        return "any"
    level = ROLE_LEVEL.get(Role(user.role)) if user.role in Role.values else None
    return level if level in (RegionLevel.COMMUNITY, RegionLevel.STREET, RegionLevel.DISTRICT) else None


def may_review(user: User, application: Application) -> bool:
    """Reviewers of the application's current level: staff of that level whose area holds the applicant's."""
    if application.status != AppStatus.REVIEWING or not covers(user, application.area_code):
        return False
    level = review_level_of(user)
    return level == "any" or level == level_of(application)


# --- certificates, bookings --------------------------------------------------------------------------------


def certificate_by_code(code: str) -> Certificate | None:
    """The certificate whose verification code this is (spaces, dashes and case ignored), or None."""
    clean = "".join(c for c in (code or "").upper() if c.isalnum())
    if not 8 <= len(clean) <= 40:
        return None
    return Certificate.objects.select_related("application__affair").filter(code=clean).first()


def booked_slots(affair: Affair, day: date) -> set[str]:
    from ..models import Booking

    return set(Booking.objects.filter(affair=affair, day=day, held=True).values_list("slot", flat=True))


def search_applications(qs: QuerySet[Application], text: str) -> QuerySet[Application]:
    text = (text or "").strip()
    if not text:
        return qs
    return qs.filter(Q(number__icontains=text) | Q(affair__name__icontains=text))


def status_label(status: str) -> str:
    return str(AppStatus(status).label) if status in AppStatus.values else _("Unknown")
