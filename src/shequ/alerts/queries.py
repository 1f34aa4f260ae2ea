"""Scoped reads of alerts. Out of scope looks like missing (404)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from shequ.access.models import User
from shequ.access.scopes import area_prefix
from shequ.core.errors import NotFound

from .models import Alert, AlertTemplate, State


def alerts_for(user: User) -> QuerySet[Alert]:
    """Alerts whose area overlaps the user's: inside it, or a wider alert that contains it."""
    prefix = area_prefix(user)
    if prefix is None:
        return Alert.objects.none()
    if prefix == "":
        return Alert.objects.all()
    wider = [prefix[:n] for n in (6, 9, 12) if n < len(prefix)]
    return Alert.objects.filter(Q(area_code__startswith=prefix) | Q(area_code__in=wider))


def get_alert_for(user: User, pk: Any) -> Alert:
    try:
        return alerts_for(user).get(pk=pk)
    except (Alert.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def public_alert(pk: Any) -> Alert:
    """An approved public alert, which anyone may read as CAP XML."""
    try:
        return Alert.objects.get(pk=pk, state=State.APPROVED, scope="Public")
    except (Alert.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def current_public_alerts() -> QuerySet[Alert]:
    return Alert.objects.current().filter(scope="Public").order_by("-sent", "-id")


def templates() -> QuerySet[AlertTemplate]:
    return AlertTemplate.objects.filter(active=True)
