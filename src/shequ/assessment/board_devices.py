"""The wall board's devices panel: the devices of the board's area by state (active, offline, retired), per type,
and the latest alarms. Every read goes through the devices app's own scoped queries (``devices.queries``), so the
panel shows what the user's device pages show, narrowed to the board's scope."""

from __future__ import annotations

from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from shequ.access.models import User
from shequ.devices.models import Alarm, Device, DeviceStatus, DeviceType, Outcome
from shequ.devices.queries import alarms_for, counts_by, devices_for

from .queries import Scope

ALARMS = 6  # the newest alarms on the panel: what fits under the counts on a 1080-pixel board
STATES = ("active", "offline", "retired")


def _devices(user: User, scope: Scope) -> QuerySet[Device]:
    qs = devices_for(user)
    if scope.area:
        qs = qs.filter(area_code__startswith=scope.area)
    if scope.unit is not None:
        qs = qs.filter(owner_unit_id=scope.unit)
    return qs


def _alarms(user: User, scope: Scope) -> QuerySet[Alarm]:
    qs = alarms_for(user)
    if scope.area:
        qs = qs.filter(device__area_code__startswith=scope.area)
    if scope.unit is not None:
        qs = qs.filter(device__owner_unit_id=scope.unit)
    return qs


def panel(user: User, scope: Scope) -> dict:
    """Counts by state in total and per type (types with devices only), and the newest alarms."""
    types = []
    for row in counts_by(_devices(user, scope), "type"):
        code = row["type"]
        types.append(
            {
                "type": code,
                "name": str(DeviceType(code).label) if code in DeviceType.values else code,
                "total": row["total"],
                "active": row["active"],
                "offline": row["offline"],
                "retired": row["total"] - row["active"] - row["offline"],
            }
        )
    types.sort(key=lambda t: (-t["total"], t["name"]))
    newest = _alarms(user, scope).select_related("device", "rule", "event").order_by("-at", "-id")[:ALARMS]
    return {
        **{state: sum(t[state] for t in types) for state in STATES},
        "total": sum(t["total"] for t in types),
        "states": {state: str(DeviceStatus(state).label) for state in STATES},
        "types": types,
        "alarms": [
            {
                "id": a.pk,
                "at": timezone.localtime(a.at).strftime("%m-%d %H:%M"),
                "device": a.device.name,
                "type": str(DeviceType(a.device.type).label) if a.device.type in DeviceType.values else a.device.type,
                "rule": a.rule.name if a.rule else "",
                "outcome": str(Outcome(a.outcome).label) if a.outcome in Outcome.values else a.outcome,
                "event": a.event.code if a.event else "",
                "count": a.count,
            }
            for a in newest
        ],
    }


def signature(user: User) -> tuple:
    """What changes when the panel would: the newest alarm (or a repeat) and the counts by state, over the user's
    devices (the live stream asks each round; a board reloads when it changes)."""
    alarms = alarms_for(user).aggregate(last=Max("pk"), repeat=Max("last_at"))
    states = devices_for(user).order_by().values_list("status").annotate(n=Count("id"))
    return alarms["last"], alarms["repeat"], tuple(sorted(states))
