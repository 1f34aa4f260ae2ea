"""Reads of events, always through the user's scope: ``events_for`` is the only
way pages, the API and Open311 get a queryset of events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from shequ.access.models import Role, User
from shequ.access.scopes import area_prefix
from shequ.core.errors import NotFound

from . import memo
from .models import OPEN_STATUSES, Event, Status, TimelineEntry


def events_for(user: User) -> QuerySet[Event]:
    """Events the user may see: their area's, their unit's (now or before), their own reports."""
    qs = Event.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.sees_everything:
        return qs
    visible = Q(reporter_id=user.pk)
    prefix = area_prefix(user)
    if prefix:
        visible |= Q(area_code__startswith=prefix)
    if user.role == Role.UNIT_HANDLER and user.unit_id:
        ever_assigned = TimelineEntry.objects.filter(event=OuterRef("pk"), unit_id=user.unit_id)
        visible |= Q(unit_id=user.unit_id) | Q(Exists(ever_assigned))
    return qs.filter(visible)


def get_event_for(user: User, *, pk: int | None = None, code: str | None = None, token: str | None = None) -> Event:
    """The event if the user may see it; NotFound whether it is missing or out of scope."""
    lookup = {k: v for k, v in {"pk": pk, "code": code, "token": token}.items() if v is not None}
    if not lookup:
        raise NotFound()
    try:
        # The catalogue's rows and the regions come from the memo, not from joins (memo.attach says why).
        return memo.attach(events_for(user).get(**lookup))
    except (Event.DoesNotExist, ValueError, ValidationError) as e:  # a malformed token is a ValidationError
        raise NotFound() from e


def event_ref_for(user: User, *, code: str) -> Event:
    """The event if the user may see it, holding only its id; NotFound as ``get_event_for``.

    What an action needs: the scope decides in one short query, and the action locks and reads the row itself
    (``writing.begin``), so the whole row ``get_event_for`` reads would be read twice. Any other field read on it is
    a query of its own.
    """
    try:
        return events_for(user).only("pk").get(code=code)
    except (Event.DoesNotExist, ValueError, ValidationError) as e:
        raise NotFound() from e


@dataclass
class EventFilter:
    """The list filters shared by the page and the API."""

    status: str = ""
    category: str = ""  # a category code: the category and everything under it
    area: str = ""  # a region code: the region and everything inside it
    channel: str = ""
    overdue: bool | None = None
    supervised: bool | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""

    def apply(self, qs: QuerySet[Event]) -> QuerySet[Event]:
        if self.status == "open":
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif self.status:
            qs = qs.filter(status=self.status)
        if self.category:
            qs = qs.filter(category__code__startswith=self.category)
        if self.area:
            qs = qs.filter(area_code__startswith=self.area)
        if self.channel:
            qs = qs.filter(channel=self.channel)
        if self.overdue is not None:
            qs = qs.filter(overdue=self.overdue)
        if self.supervised is not None:
            qs = qs.filter(supervised=self.supervised)
        tz = timezone.get_current_timezone()
        if self.date_from:
            qs = qs.filter(reported_at__gte=datetime.combine(self.date_from, time.min, tz))
        if self.date_to:
            qs = qs.filter(reported_at__lt=datetime.combine(self.date_to + timedelta(days=1), time.min, tz))
        if self.q:
            q = self.q.strip()
            qs = qs.filter(Q(code__icontains=q) | Q(description__icontains=q) | Q(address__icontains=q))
        return qs


def todo_for(user: User) -> dict[str, QuerySet[Event]]:
    """The to-do lists of the workbench, by what this user's role does in the loop."""
    mine = events_for(user)
    lists: dict[str, QuerySet[Event]] = {}
    if user.role in (Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_DISPATCHER) or user.sees_everything:
        desk = mine if user.sees_everything else mine.filter(desk_id=user.region_id)
        lists["to_accept"] = desk.filter(status=Status.REPORTED)
        lists["to_dispatch"] = desk.filter(status=Status.ACCEPTED)
        lists["extensions"] = desk.filter(status=Status.DISPATCHED, extension_hours__isnull=False)
    if user.role == Role.UNIT_HANDLER and user.unit_id is not None:
        lists["to_handle"] = mine.filter(status=Status.DISPATCHED, unit_id=user.unit_id)
    if user.role in (Role.GRID_WORKER, Role.COMMUNITY_STAFF) or user.sees_everything:
        # Only events this user may verify: in their area (not their own reports elsewhere), not their own handling.
        prefix = area_prefix(user)
        verifiable = mine.none() if prefix is None else mine.filter(area_code__startswith=prefix)
        lists["to_verify"] = verifiable.filter(status=Status.HANDLED).exclude(handled_by_id=user.pk)
    if user.is_staff_role:
        overdue = mine.filter(status__in=OPEN_STATUSES).filter(Q(overdue=True) | Q(supervised=True))
        if user.role == Role.UNIT_HANDLER:
            overdue = overdue.filter(unit_id=user.unit_id) if user.unit_id is not None else overdue.none()
        lists["overdue"] = overdue
    if user.role == Role.RESIDENT:
        lists["to_rate"] = mine.filter(reporter_id=user.pk, status=Status.CLOSED, rating__isnull=True)
    return lists
