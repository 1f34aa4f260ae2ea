"""Retention of the devices' personal data: access-door and plate messages (L3) are deleted after
``SHEQU_DEVICE_RETENTION_DAYS`` (default 30), in chunks, each chunk's deletion an entry on the audit trail."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from shequ import audit
from shequ.audit.actions import Target
from shequ.core import clock

from .dictionary import FIELDS
from .messages import PERSONAL_TYPES
from .models import Message

CHUNK = 5000


def cutoff(now: datetime | None = None) -> datetime:
    return (now or clock.now()) - timedelta(days=settings.SHEQU_DEVICE_RETENTION_DAYS)


def purge(*, now: datetime | None = None) -> int:
    """Delete what is past retention; returns how many messages went."""
    before = cutoff(now)
    expired = Message.objects.filter(type__in=PERSONAL_TYPES, at__lt=before)
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(expired.order_by("pk").values_list("pk", flat=True)[:CHUNK])
            if not ids:
                return deleted
            counts = dict.fromkeys(PERSONAL_TYPES, 0)
            for kind in Message.objects.filter(pk__in=ids).values_list("type", flat=True):
                counts[kind] += 1
            Message.objects.filter(pk__in=ids).delete()
            audit.record(
                "write",
                actor=None,
                target=Target(type="devices.message"),
                fields=list(FIELDS),
                detail={"action": "retention_delete", "before": before.isoformat(), "deleted": counts},
                channel="command",
            )
            deleted += len(ids)
