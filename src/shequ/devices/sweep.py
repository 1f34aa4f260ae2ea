"""The rules the periodic sweep checks (not a message but the lack of one), for the elderly living alone:

    zero_days     a water or power meter whose index has not moved for N days (it still reports)
    silent_hours  a motion sensor that has detected nothing (a door magnet: not opened) for N hours

A case still open is left alone (no count every tick); once it is done the rule's quiet window applies.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core import clock

from . import alarms, worklist
from .models import Device, DeviceStatus, DeviceType, Message, Operator, Rule

METERS = (DeviceType.WATER_METER, DeviceType.POWER_METER)
SENSORS = {"motion": (DeviceType.MOTION_SENSOR, "detected", True), "door": (DeviceType.DOOR_MAGNET, "state", "open")}


def _unused(device: Device, start: datetime) -> bool:
    baseline = Message.objects.filter(device=device, type="reading", at__lte=start).order_by("-at").first()
    if baseline is None:
        return False  # not reporting for that long yet
    later = [m.data.get("value") for m in Message.objects.filter(device=device, type="reading", at__gt=start)]
    return bool(later) and all(v == baseline.data.get("value") for v in later)


def _silent(device: Device, rule: Rule, start: datetime) -> bool:
    if device.created_at > start or device.last_seen_at is None or device.last_seen_at < start:
        return False  # too new to tell, or the sensor itself is silent (that is the health sweep's business)
    _kind, field, active = SENSORS[rule.message_type]
    recent = Message.objects.filter(device=device, type=rule.message_type, at__gt=start)
    return not any(m.data.get(field) == active for m in recent)


def _text(rule: Rule, device: Device, now: datetime) -> str:
    unit = _("days") if rule.operator == Operator.ZERO_FOR_DAYS else _("hours")
    return _("%(rule)s: %(device)s at %(place)s, for %(n)s %(unit)s up to %(time)s. Please visit.") % {
        "rule": rule.name,
        "device": device,
        "place": device.place,
        "n": rule.period,
        "unit": unit,
        "time": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
    }


def check_rules(*, now: datetime | None = None) -> int:
    """Raise an alarm for each device a sweep rule finds; returns how many were raised."""
    now = now or clock.now()
    raised = 0
    for rule in Rule.objects.filter(active=True, operator__in=(Operator.ZERO_FOR_DAYS, Operator.SILENT_FOR_HOURS)):
        if rule.operator == Operator.ZERO_FOR_DAYS:
            types: tuple[str, ...] = (rule.device_type,) if rule.device_type else METERS
            start = now - timedelta(days=rule.period)
        else:
            types = (rule.device_type or SENSORS[rule.message_type][0],)
            start = now - timedelta(hours=rule.period)
        devices = Device.objects.filter(type__in=types, status=DeviceStatus.ACTIVE, dwelling__isnull=False)
        for device in devices.select_related("building", "dwelling", "grid"):
            if rule.elderly_only and not worklist.elderly_alone_at(device):
                continue
            found = _unused(device, start) if rule.operator == Operator.ZERO_FOR_DAYS else _silent(device, rule, start)
            if not found:
                continue
            with transaction.atomic():
                alarm = alarms.raise_alarm(
                    rule, device, message=None, text=_text(rule, device, now), now=now, message_at=start, fold=False
                )
            raised += alarm is not None
    return raised
