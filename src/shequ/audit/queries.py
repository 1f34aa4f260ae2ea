"""Reads of the trail: who may read it, and the search behind the auditor pages and the CSV export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from shequ.access.models import Role
from shequ.core.errors import NotFound

from .models import AuditEntry

AUDIT_ROLES = (Role.AUDITOR, Role.ADMIN)


def may_audit(user) -> bool:
    """Auditors and administrators read the trail; to everyone else it does not exist."""
    return bool(getattr(user, "is_authenticated", False)) and (user.is_superuser or user.role in AUDIT_ROLES)


@dataclass(frozen=True)
class EntryFilter:
    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    area_code: str = ""
    since: date | None = None
    until: date | None = None
    purpose: str = ""

    def as_detail(self) -> dict[str, str]:
        """The filter as it goes into the export's own audit entry."""
        return {k: str(v) for k, v in self.__dict__.items() if v not in ("", None)}


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def entries_for(user, f: EntryFilter | None = None) -> QuerySet[AuditEntry]:
    """Newest first. Every filter is an indexed column except the purpose text."""
    if not may_audit(user):
        return AuditEntry.objects.none()
    qs = AuditEntry.objects.order_by("-sequence")
    f = f or EntryFilter()
    if f.actor:
        qs = qs.filter(actor_username__icontains=f.actor)
    if f.action:
        qs = qs.filter(action=f.action)
    if f.target_type:
        qs = qs.filter(target_type=f.target_type)
    if f.target_id:
        qs = qs.filter(target_id=f.target_id)
    if f.area_code:
        qs = qs.filter(area_code__startswith=f.area_code)
    if f.since:
        qs = qs.filter(at__gte=_start_of(f.since))
    if f.until:
        qs = qs.filter(at__lt=_start_of(f.until + timedelta(days=1)))
    if f.purpose:
        qs = qs.filter(purpose__icontains=f.purpose)
    return qs


def get_entry_for(user, sequence: int) -> AuditEntry:
    entry = entries_for(user).filter(sequence=sequence).first()
    if entry is None:
        raise NotFound()
    return entry
