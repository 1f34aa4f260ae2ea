"""Scoped reads of alerts. Out of scope looks like missing (404)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from shequ.access.models import Role, User
from shequ.access.scopes import area_prefix
from shequ.core.errors import NotFound
from shequ.registry.queries import person_of

from .models import Alert, AlertTemplate, Delivery, MsgType, State


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


# --- a resident's own alerts (portal inbox and banner) ---------------------------------------------------


def inbox_for(user: User) -> QuerySet[Alert]:
    """Alerts delivered to the resident behind this portal account, newest first, with their answer."""
    person = person_of(user)
    mine = Delivery.objects.filter(person=person, alert_id=OuterRef("pk"))
    alerts = (
        Alert.objects.filter(Exists(mine), state=State.APPROVED)
        .annotate(
            answer=Subquery(mine.exclude(ack="").values("ack")[:1]),
            answered_at=Subquery(mine.exclude(ack="").values("acknowledged_at")[:1]),
        )
        .order_by("-sent", "-id")
    )
    return alerts if person is not None else alerts.none()  # none() after annotate: callers may filter on answer


def banner_for(user: User) -> Alert | None:
    """The newest alert in force the resident has not answered yet (cancels are news, not questions)."""
    if not user.is_authenticated or user.role != Role.RESIDENT:
        return None
    current = Alert.objects.current().exclude(msg_type=MsgType.CANCEL)
    return inbox_for(user).filter(pk__in=current.values("pk"), answer__isnull=True).first()
