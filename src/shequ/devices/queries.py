"""Scoped reads of devices, their messages, alarms, tasks, car parks and the watch list. Out of scope is missing.

Area roles see what lies in their area (``area_code`` prefix); a property company or a department's handlers see
the devices their unit owns; administrators everything; residents only the car parks (parking guidance).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from shequ.access.masking import STAR
from shequ.access.models import Role, User
from shequ.access.scopes import area_prefix, clearance, manages_area

from .messages import PERSONAL_TYPES
from .models import Alarm, CarPark, Device, Message, Refusal, Rule, Task, WatchedPlate

PERSONAL_FIELDS = {"plate": ("plate", "snapshot"), "access": ("person_ref", "snapshot")}


def _area_or_unit(user: User, queryset: QuerySet, *, unit_field: str | None) -> QuerySet:
    if not user.is_authenticated:
        return queryset.none()
    if user.sees_everything:
        return queryset
    if user.role in (Role.PROPERTY_COMPANY, Role.UNIT_HANDLER):
        if unit_field is None or user.unit_id is None:
            return queryset.none()
        return queryset.filter(**{unit_field: user.unit_id})
    prefix = area_prefix(user)
    if prefix is None:
        return queryset.none()
    return queryset.filter(area_code__startswith=prefix)


def devices_for(user: User) -> QuerySet[Device]:
    devices = Device.objects.select_related("building", "dwelling", "grid", "owner_unit", "car_park")
    return _area_or_unit(user, devices, unit_field="owner_unit_id")


def get_device_for(user: User, code: Any) -> Device:
    from shequ.core.errors import NotFound

    try:
        return devices_for(user).get(code=str(code))
    except Device.DoesNotExist:
        raise NotFound() from None


def search(devices: QuerySet[Device], *, q: str = "", type: str = "", status: str = "", grid: str = "") -> QuerySet:
    q = q.strip()
    if q:
        devices = devices.filter(
            Q(code__icontains=q) | Q(name__icontains=q) | Q(building__address__icontains=q) | Q(spot__icontains=q)
        )
    if type:
        devices = devices.filter(type=type)
    if status:
        devices = devices.filter(status=status)
    if grid:
        devices = devices.filter(area_code__startswith=grid)
    return devices


def shows_personal(user: User) -> bool:
    """Plates and the person behind a door opening are L3: shown in clear only to a grant cleared for L3."""
    return clearance(user).clear >= 3 and not clearance(user).property_only


def mask_value(value: Any) -> str:
    text = str(value or "")
    if len(text) <= 3:
        return STAR * len(text)
    return text[:2] + STAR * (len(text) - 4) + text[-2:]


def shown_data(message: Message, user: User) -> dict[str, Any]:
    """A message's fields as this user may see them."""
    data = dict(message.data)
    if message.type in PERSONAL_TYPES and not shows_personal(user):
        for name in PERSONAL_FIELDS[message.type]:
            if data.get(name):
                data[name] = mask_value(data[name])
    return data


def recent_messages(device: Device, *, limit: int = 50) -> list[Message]:
    return list(Message.objects.filter(device=device).order_by("-at", "-id")[:limit])


def alarms_for(user: User) -> QuerySet[Alarm]:
    return Alarm.objects.filter(device__in=devices_for(user)).select_related("device", "rule", "event", "task")


def tasks_for(user: User) -> QuerySet[Task]:
    tasks = Task.objects.select_related("device", "assignee", "unit")
    if user.is_authenticated and user.role == Role.GRID_WORKER and not user.sees_everything:
        return tasks.filter(Q(assignee=user) | Q(area_code__startswith=user.region.code if user.region else "~"))
    return _area_or_unit(user, tasks, unit_field="unit_id")


def car_parks_for(user: User) -> QuerySet[CarPark]:
    """Staff: their area's car parks; residents (parking guidance) and every other signed-in role: all of them,
    as free spaces are no secret."""
    if user.is_authenticated and user.role not in (Role.RESIDENT, Role.PROPERTY_COMPANY, Role.UNIT_HANDLER):
        return _area_or_unit(user, CarPark.objects.all(), unit_field=None)
    return CarPark.objects.all() if user.is_authenticated else CarPark.objects.none()


def watch_list_for(user: User) -> QuerySet[WatchedPlate]:
    if not manages_area(user):
        return WatchedPlate.objects.none()
    return _area_or_unit(user, WatchedPlate.objects.all(), unit_field=None)


def may_edit_rules(user: User) -> bool:
    """The rule table is the district's: its administrators and district dispatchers change it."""
    return user.is_authenticated and (user.sees_everything or user.role == Role.DISTRICT_DISPATCHER)


def rules() -> QuerySet[Rule]:
    return Rule.objects.select_related("category", "level").annotate(alarm_count=Count("alarms"))


def refusals_for(user: User) -> QuerySet[Refusal]:
    codes = devices_for(user).values("code")
    found = Refusal.objects.filter(device_code__in=codes)
    return found | Refusal.objects.filter(device_code="(unknown)") if user.sees_everything else found


def counts_by(devices: QuerySet[Device], field: str) -> list[dict[str, Any]]:
    """Devices per grid or per owner, by status: the overview table."""
    return list(
        devices.values(field)
        .annotate(
            total=Count("id"),
            active=Count("id", filter=Q(status="active")),
            offline=Count("id", filter=Q(status="offline")),
        )
        .order_by(field)
    )
