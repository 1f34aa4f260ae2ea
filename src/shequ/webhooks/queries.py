"""Reads of subscriptions and their deliveries, always through the asker's scope (missing and forbidden: 404)."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from shequ.access.models import User
from shequ.access.scopes import area_prefix
from shequ.core.errors import NotFound

from .actions import may_manage_any
from .models import Delivery, DeliveryStatus, OwnerNotice, Subscription

Areas = Subscription.areas.through


def subscriptions_for(user: User) -> QuerySet[Subscription]:
    """Administrators: all. Street and district dispatchers: those with areas, every one inside their own."""
    qs = Subscription.objects.all()
    if not may_manage_any(user):
        return qs.none()
    if user.sees_everything:
        return qs
    prefix = area_prefix(user)
    if not prefix:
        return qs.none()
    outside = Areas.objects.filter(subscription_id=OuterRef("pk")).exclude(region__code__startswith=prefix)
    inside = Areas.objects.filter(subscription_id=OuterRef("pk"))
    return qs.filter(Exists(inside)).exclude(Exists(outside))


def get_subscription_for(user: User, pk: int) -> Subscription:
    try:
        return subscriptions_for(user).select_related("owner", "owner_unit", "created_by").get(pk=pk)
    except Subscription.DoesNotExist as e:
        raise NotFound() from e


def get_delivery_for(user: User, sub: Subscription, pk: int) -> Delivery:
    try:
        return Delivery.objects.select_related("subscription", "event").get(pk=pk, subscription=sub)
    except Delivery.DoesNotExist as e:
        raise NotFound() from e


def with_counts(qs: QuerySet[Subscription]) -> QuerySet[Subscription]:
    return qs.annotate(
        waiting=Count("deliveries", filter=Q(deliveries__status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED))),
        dead=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DEAD)),
    )


def deliveries_of(sub: Subscription, *, status: str = "") -> QuerySet[Delivery]:
    qs = Delivery.objects.filter(subscription=sub).select_related("event")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def notices_for(user: User) -> QuerySet[OwnerNotice]:
    if not user.is_authenticated:
        return OwnerNotice.objects.none()
    return OwnerNotice.objects.filter(user=user).select_related("subscription")
