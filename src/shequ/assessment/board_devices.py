"""The wall board's devices panel: the devices of the board's area by state (active, offline, retired), per type,
and the latest alarms. Every read goes through the devices app's own scoped queries (``devices.queries``), so the
panel shows what the user's device pages show, narrowed to the board's scope."""

from __future__ import annotations

from django.db.models import Count, Max, QuerySet, TextChoices
from django.utils import timezone

from shequ.access.models import User
from shequ.devices.models import DeviceStatus, DeviceType, Outcome
from shequ.devices.queries import alarms_for, counts_by, devices_for

from .queries import Scope

ALARMS = 6  # the newest alarms on the panel: what fits under the counts on a 1080-pixel board
STATES = ("active", "offline", "retired")


def _narrowed(qs: QuerySet, scope: Scope, device: str = "") -> QuerySet:
    """``qs`` (devices, or rows with a ``device``: the path in ``device``) narrowed to the board's area or unit."""
    if scope.area:
        qs = qs.filter(**{f"{device}area_code__startswith": scope.area})
    if scope.unit is not None:
        qs = qs.filter(**{f"{device}owner_unit_id": scope.unit})
    return qs


def _label(choices: type[TextChoices], code: str) -> str:
    return str(choices(code).label) if code in choices.values else code


def panel(user: User, scope: Scope) -> dict:
    """Counts by state in total and per type (types with devices only), and the newest alarms."""
    types = []
    for row in counts_by(_narrowed(devices_for(user), scope), "type"):
        code = row["type"]
        types.append(
            {
                "type": code,
                "name": _label(DeviceType, code),
                "total": row["total"],
                "active": row["active"],
                "offline": row["offline"],
                "retired": row["total"] - row["active"] - row["offline"],
            }
        )
    types.sort(key=lambda t: (-t["total"], t["name"]))
    alarms = _narrowed(alarms_for(user), scope, "device__").select_related("device", "rule", "event")
    newest = alarms.order_by("-at", "-id")[:ALARMS]
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
                "type": _label(DeviceType, a.device.type),
                "rule": a.rule.name if a.rule else "",
                "outcome": _label(Outcome, a.outcome),
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
