"""Rules -> cases: a message a rule matches becomes an alarm, and the alarm a case someone owns.

    matches(rule, device_type, data)   the rule's condition on the message's fields
    raise_alarm(rule, device, ...)     fold into the open case | held back (quiet window, daily limit) | a new case:
                                       an event through events.actions.report (channel "device"), a care task
                                       (SHEQU_DEVICE_CARE_TASKS), or a notification; an emergency rule at a dwelling
                                       also reaches its residents and grid worker at once (alerts.direct.notify)

Runs inside the ingesting transaction: a message, its alarms and their cases commit together or not at all.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from shequ.alerts import direct
from shequ.core.errors import DomainError, InvalidInput
from shequ.events import actions as events
from shequ.events.models import OPEN_STATUSES, Channel

from . import worklist
from .models import NEW_CASE, SWEEP_OPERATORS, Alarm, Device, Message, Operator, Outcome, Rule, RuleAction, Task

log = logging.getLogger(__name__)

# --- the rule table, cached per process (the listener reads it for every message) -------------------------------

_CACHE_SECONDS = 5.0
_cache: dict[str, Any] = {"at": 0.0, "rules": {}}


def invalidate() -> None:
    _cache["at"] = 0.0


def rules_for(message_type: str) -> list[Rule]:
    """Active per-message rules of a message type (the sweep rules are checked by ``sweep.py``)."""
    if time.monotonic() - _cache["at"] > _CACHE_SECONDS:
        table: dict[str, list[Rule]] = {}
        rows = Rule.objects.filter(active=True).exclude(operator__in=SWEEP_OPERATORS).select_related("category")
        for rule in rows:
            table.setdefault(rule.message_type, []).append(rule)
        _cache["rules"], _cache["at"] = table, time.monotonic()
    return _cache["rules"].get(message_type, [])


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def matches(rule: Rule, device_type: str, data: dict[str, Any]) -> bool:
    if rule.device_type and rule.device_type != device_type:
        return False
    op = rule.operator
    if op == Operator.ANY:
        return True
    got = data.get(rule.field)
    if op == Operator.TRUE:
        return got is True
    if op == Operator.EQUALS:
        text = str(got).lower() if isinstance(got, bool) else str(got)
        return got is not None and text == rule.value
    number, limit = _number(got), _number(rule.value)
    if number is None or limit is None:
        return False
    if op == Operator.ABOVE:
        return number > limit
    if op == Operator.AT_LEAST:
        return number >= limit
    if op == Operator.BELOW:
        return number < limit
    return False


# --- the words of a case ----------------------------------------------------------------------------------------

FIELD_WORDS = {"level": _("level"), "value": _("value"), "floor": _("floor"), "plate": _("plate")}


def summary(device: Device, message_type: str, at: datetime, data: dict[str, Any]) -> str:
    fields = "，".join(f"{k}={v}" for k, v in data.items() if k != "snapshot")
    text = _("%(type)s %(code)s at %(place)s: “%(message)s” %(fields)s at %(time)s.") % {
        "type": device.get_type_display(),
        "code": device.code,
        "place": device.place,
        "message": message_type,
        "fields": fields,
        "time": timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S"),
    }
    if data.get("snapshot"):
        text += " " + _("Snapshot: %(ref)s") % {"ref": data["snapshot"]}
    return text


# --- one alarm --------------------------------------------------------------------------------------------------


def _case_open(alarm: Alarm) -> bool:
    if alarm.event_id is not None:
        return alarm.event is not None and alarm.event.status in OPEN_STATUSES
    if alarm.task_id is not None:
        return isinstance(alarm.task, Task) and alarm.task.status == "open"
    return False


def _day_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def raise_alarm(
    rule: Rule,
    device: Device,
    *,
    message: Message | None,
    text: str,
    now: datetime,
    message_at: datetime,
    fold: bool = True,
) -> Alarm | None:
    """Fold, hold back or make a case for one match. The device row is locked: one case per device at a time.

    ``fold=False`` (the sweep): a case still open is left as it is and None returned."""
    Device.objects.select_for_update().filter(pk=device.pk).exists()
    last = (
        Alarm.objects.filter(rule=rule, device=device, outcome__in=NEW_CASE)
        .select_related("event", "task")
        .order_by("-at", "-id")
        .first()
    )
    if last is not None and _case_open(last):
        if not fold:
            return None
        if last.event is not None:
            note = _("Again (%(n)s times): %(text)s") % {"n": last.count + 1, "text": text}
            if events.record_repeat(last.event, note=note[:2000]) is None:
                last = None  # closed meanwhile: a new case below
        if last is not None:
            Alarm.objects.filter(pk=last.pk).update(count=last.count + 1, last_at=now)
            return Alarm.objects.create(
                device=device, rule=rule, message=message, outcome=Outcome.FOLDED, event=last.event,
                task=last.task, note=text[:300], at=now, last_at=now,
            )  # fmt: skip
    if last is not None and now - last.last_at < timedelta(minutes=rule.quiet_minutes):
        return Alarm.objects.create(
            device=device, rule=rule, message=message, outcome=Outcome.QUIET, note=text[:300], at=now, last_at=now
        )
    made_today = Alarm.objects.filter(rule=rule, device=device, outcome__in=NEW_CASE, at__gte=_day_start(now)).count()
    if made_today >= rule.daily_limit:
        return Alarm.objects.create(
            device=device, rule=rule, message=message, outcome=Outcome.LIMITED, note=text[:300], at=now, last_at=now
        )
    return _new_case(rule, device, message=message, text=text, now=now, message_at=message_at)


def _report(rule: Rule, device: Device, *, text: str, ref: str):
    building = device.building
    kwargs: dict[str, Any] = {
        "by": None,
        "channel": Channel.DEVICE,
        "description": f"【{rule.name}】{text}"[:2000],
        "category": rule.category,
        "level": rule.level,
        "address": device.place,
        "reporter_name": device.name[:50],
        "source_ref": ref[:64],
    }
    try:
        with transaction.atomic():
            return events.report(**kwargs, lon=building.lon, lat=building.lat)
    except InvalidInput as e:
        if e.code != "outside_area":
            raise
    return events.report(**kwargs, region=device.grid)  # the building's point is off the grids: place it by grid


def _new_case(
    rule: Rule, device: Device, *, message: Message | None, text: str, now: datetime, message_at: datetime
) -> Alarm:
    alarm = Alarm(device=device, rule=rule, message=message, note=text[:300], at=now, last_at=now)
    ref = f"device-{device.pk}-rule-{rule.pk}-{int(message_at.timestamp() * 1000)}"
    try:
        with transaction.atomic():
            if rule.action == RuleAction.EVENT:
                alarm.event = _report(rule, device, text=text, ref=ref)
                alarm.outcome = Outcome.EVENT
            elif rule.action == RuleAction.CARE_TASK:
                made = import_string(settings.SHEQU_DEVICE_CARE_TASKS)(device=device, rule=rule, text=text)
                alarm.task = made if isinstance(made, Task) else None
                alarm.outcome = Outcome.TASK
            else:
                _notify_staff(rule, device, text=text, key=ref)
                alarm.outcome = Outcome.NOTIFIED
            if rule.emergency and device.dwelling_id is not None:
                _reach_dwelling(rule, device, text=text, key=ref)
            alarm.save()
    except DomainError as e:
        # The message itself stands (and is acknowledged); the failure is on record for the rule's owner.
        log.warning("device %s rule %s: no case: %s", device.code, rule.pk, e.message)
        alarm.event = alarm.task = None  # rolled back with the savepoint
        alarm.outcome, alarm.note = Outcome.FAILED, f"{e.message} {text}"[:300]
        alarm.save()
    return alarm


def _reach_dwelling(rule: Rule, device: Device, *, text: str, key: str) -> None:
    """An emergency at a dwelling: its residents (portal banner, SMS) and the grid's workers (SMS), at once."""
    direct.notify(
        key=f"{key}-dwelling",
        headline=_("%(rule)s at %(place)s") % {"rule": rule.name, "place": device.place},
        description=text,
        instruction=_("Leave the danger at once and call 119 if needed; your grid worker has been told."),
        region=device.grid,
        area_desc=device.place,
        event=rule.name,
        people=list(worklist.residents_of(device)),
        phones=[u.phone for u in worklist.grid_workers(device)],
        category="Fire" if device.type in ("smoke_detector", "gas_detector") else "Safety",
        sender_name=_("Community device alarm"),
        note=_("Device %(code)s, rule %(rule)s") % {"code": device.code, "rule": rule.name},
    )


def _notify_staff(rule: Rule, device: Device, *, text: str, key: str) -> None:
    phones = [u.phone for u in worklist.grid_workers(device)] + [device.contact_phone]
    direct.notify(
        key=f"{key}-staff",
        headline=_("%(rule)s at %(place)s") % {"rule": rule.name, "place": device.place},
        description=text,
        instruction=_("Please check on site."),
        region=device.grid,
        area_desc=device.place,
        event=rule.name,
        phones=[p for p in phones if p],
        sender_name=_("Community device alarm"),
    )
