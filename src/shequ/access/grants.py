"""Grants: the acting grant of a request, and the audited writes that add and remove grants.

A user's own role, area and unit are their primary grant. Further ``Grant`` rows give the same person other
roles or areas; per session they choose which one they act under (the top bar's switch). ``apply`` puts the
chosen grant's role, region and unit on the in-memory user object, so every existing caller of ``scopes`` (and
through it every query) honours it without knowing grants exist; ``User.save`` refuses to persist it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet

from shequ.core import clock
from shequ.geo.models import Region

from .models import Grant, Role, Unit, User

SESSION_KEY = "shequ_grant"
PRIMARY = "primary"


def active_grants(user: User) -> QuerySet[Grant]:
    """The user's further grants that have not expired."""
    return (
        Grant.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=clock.now()), user_id=user.pk)
        .select_related("region", "unit")
        .order_by("role", "id")
    )


def apply(user: User, grant: Grant) -> User:
    """Act under ``grant`` for this request: role, scope and clearance on the in-memory user only."""
    if not hasattr(user, "primary_grant"):
        user.primary_grant = (user.role, user.region_id, user.unit_id)  # type: ignore[attr-defined]
    user.role = grant.role
    user.region = grant.region
    user.unit = grant.unit
    user.acting_grant = grant  # type: ignore[attr-defined]
    return user


@dataclass(frozen=True)
class Choice:
    """One entry of the top bar's switch: the primary grant ("primary") or a Grant's id."""

    value: str
    label: str
    current: bool


def _label(role: str, region: Region | None, unit: Unit | None) -> str:
    scope = region or unit
    name = Role(role).label if role in Role.values else role
    return f"{name} · {scope}" if scope else str(name)


def choices_for(user: User) -> list[Choice]:
    """The grants the user may act under, the primary one first; empty when there is nothing to choose."""
    grants = list(active_grants(user))
    if not grants:
        return []
    acting = getattr(user, "acting_grant", None)
    if acting is None:
        primary_label = _label(user.role, user.region, user.unit)
    else:
        role, region_id, unit_id = user.primary_grant  # type: ignore[attr-defined]
        region = Region.objects.filter(pk=region_id).first() if region_id else None
        unit = Unit.objects.filter(pk=unit_id).first() if unit_id else None
        primary_label = _label(role, region, unit)
    return [
        Choice(PRIMARY, primary_label, acting is None),
        *[Choice(str(g.pk), str(g), acting is not None and acting.pk == g.pk) for g in grants],
    ]


def grant_for_session(user: User, value: str) -> Grant | None:
    """The active grant of ``user`` named by the switch's value; None for the primary grant or an unknown value."""
    if not value or value == PRIMARY or not value.isdigit():
        return None
    return active_grants(user).filter(pk=int(value)).first()


# --- writes (the audit entry comes from audit.signals, so admin edits are recorded the same way) --------------


@transaction.atomic
def add_grant(
    user: User,
    *,
    role: str,
    by: User | None,
    region: Region | None = None,
    unit: Unit | None = None,
    clear_level: str = "",
    reveal_level: str = "",
    expires_at: datetime | None = None,
) -> Grant:
    grant = Grant(
        user=user,
        role=role,
        region=region,
        unit=unit,
        clear_level=clear_level,
        reveal_level=reveal_level,
        granted_by=by,
        expires_at=expires_at,
    )
    grant.full_clean()
    grant.save()
    return grant


@transaction.atomic
def remove_grant(grant: Grant) -> None:
    grant.delete()
