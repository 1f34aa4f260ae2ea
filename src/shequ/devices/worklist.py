"""The people a device's alarm concerns, and the devices app's own small task list (care visits, maintenance).

Care tasks go through the ``SHEQU_DEVICE_CARE_TASKS`` seam: this module's ``care_task`` by default; the services
app can name its own callable (``device=, rule=, text=`` -> its task) without this app changing.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from shequ.access.models import Role, User
from shequ.core import clock
from shequ.registry.models import Person, PersonTag
from shequ.registry.queries import current_residences, open_tags

from .models import Device, Rule, Task, TaskKind, TaskStatus

ELDERLY_ALONE = "elderly_alone"


def residents_of(device: Device) -> QuerySet[Person]:
    """The people living now in the device's dwelling (none for a device at a public spot)."""
    if device.dwelling_id is None:
        return Person.objects.none()
    ids = current_residences().filter(dwelling_id=device.dwelling_id).values("person_id")
    return Person.objects.filter(pk__in=ids).order_by("pk")


def elderly_alone_at(device: Device) -> bool:
    """Someone tagged 关爱对象 "elderly living alone" lives in the device's dwelling."""
    if device.dwelling_id is None:
        return False
    people = current_residences().filter(dwelling_id=device.dwelling_id).values("person_id")
    return PersonTag.objects.filter(open_tags(), tag__code=ELDERLY_ALONE, person_id__in=people).exists()


def grid_workers(device: Device) -> QuerySet[User]:
    return User.objects.filter(role=Role.GRID_WORKER, region_id=device.grid_id, is_active=True).order_by("pk")


def care_task(*, device: Device, rule: Rule, text: str) -> Task:
    """The default care seam: a care visit for the grid worker of the device's grid."""
    return Task.objects.create(
        kind=TaskKind.CARE,
        device=device,
        assignee=grid_workers(device).first(),
        area_code=device.area_code,
        title=text[:200],
        note=rule.name,
    )


def open_maintenance(device: Device, *, note: str) -> Task | None:
    """One open maintenance task for the device's owner (their unit, else the grid worker); None if one is open."""
    try:
        with transaction.atomic():
            return Task.objects.create(
                kind=TaskKind.MAINTENANCE,
                device=device,
                unit_id=device.owner_unit_id,
                assignee=None if device.owner_unit_id else grid_workers(device).first(),
                area_code=device.area_code,
                title=note[:200],
                note=note,
            )
    except IntegrityError:  # the constraint: already open
        return None


def close_maintenance(device: Device, *, note: str) -> int:
    now = clock.now()
    return Task.objects.filter(device=device, kind=TaskKind.MAINTENANCE, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE, closed_at=now, note=note
    )
