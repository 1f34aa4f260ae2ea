"""Device health: silent past its period -> offline and a maintenance task for its owner; heard again -> active,
the task closed. Both are written once, however often the sweep runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from shequ.core import clock

from . import worklist
from .models import Device, DeviceStatus


def mark_offline(*, now: datetime | None = None) -> int:
    """Active devices whose last message (or registration) is older than their heartbeat period."""
    now = now or clock.now()
    # The shortest period a device may have is a minute: rows heard from within it are not even read.
    silent = Device.objects.filter(status=DeviceStatus.ACTIVE).filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - timedelta(seconds=60))
    )
    marked = 0
    for device in silent.select_related("building", "dwelling", "grid").iterator():
        since = device.last_seen_at or device.created_at
        if now - since <= timedelta(seconds=device.heartbeat_seconds):
            continue
        with transaction.atomic():
            if not Device.objects.filter(pk=device.pk, status=DeviceStatus.ACTIVE).update(status=DeviceStatus.OFFLINE):
                continue
            worklist.open_maintenance(
                device,
                note=_("%(device)s at %(place)s has sent nothing since %(since)s: check it.")
                % {"device": device, "place": device.place, "since": since.strftime("%Y-%m-%d %H:%M")},
            )
            marked += 1
    return marked


def back_online(device: Device, *, now: datetime) -> None:
    if Device.objects.filter(pk=device.pk, status=DeviceStatus.OFFLINE).update(status=DeviceStatus.ACTIVE):
        worklist.close_maintenance(device, note=_("The device is sending again."))
