"""Webhooks: other systems (the city's 12345 platform, a property company's system, a department) subscribe to
the event loop's state changes.

A ``Subscription`` says which changes (categories, areas, units, channels, actions, statuses) go to which URL, as
which account (only what that account's grant may see is sent) and whom to tell when it keeps failing. Each
matching timeline row makes one ``Delivery`` in the action's own transaction (the outbox); a worker POSTs it after
commit and keeps one ``Attempt`` per try. ``SubscriptionEntry`` is the subscription's timeline; ``OwnerNotice``
tells an owner in the platform that their subscription was paused.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.access.models import Unit
from shequ.core import clock
from shequ.core.fields import EncryptedTextField, user_reference
from shequ.events.models import Category, Event, TimelineEntry
from shequ.geo.models import Region


class State(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("webhooks", "Active")
    PAUSED = "paused", pgettext_lazy("webhooks", "Paused")


class Subscription(models.Model):
    name = models.CharField(pgettext_lazy("webhooks", "name"), max_length=100)
    url = models.URLField(_("target URL"), max_length=500)
    # The HMAC-SHA256 key of the signature header; encrypted at rest, shown once when made or rotated.
    secret = EncryptedTextField(_("signing secret"), editable=False)
    # The account the subscription sends as: only events this account may see go out, with the fields its grant
    # shows (never a reporter's name or phone). Told when the subscription is paused.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner account"), on_delete=models.PROTECT, related_name="+"
    )
    # Also told when paused: the unit's people (a property company's staff, a department's).
    owner_unit = models.ForeignKey(
        Unit, verbose_name=_("unit to tell"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Filters: empty means any. Categories and areas include everything under them (codes nest).
    categories = models.ManyToManyField(Category, verbose_name=_("categories"), blank=True, related_name="+")
    areas = models.ManyToManyField(Region, verbose_name=_("areas"), blank=True, related_name="+")
    units = models.ManyToManyField(Unit, verbose_name=_("handling units"), blank=True, related_name="+")
    channels = models.JSONField(_("channels"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    statuses = models.JSONField(_("statuses"), default=list, blank=True)
    state = models.CharField(
        pgettext_lazy("webhooks", "state"), max_length=10, choices=State.choices, default=State.ACTIVE, db_index=True
    )
    # Failed tries in a row, over all its deliveries; a success resets it.
    failure_count = models.PositiveIntegerField(_("failures in a row"), default=0)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_reason = models.CharField(_("reason for pausing"), max_length=300, blank=True)
    created_by = user_reference(_("created by"))
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.state == State.ACTIVE


class SubscriptionEntry(models.Model):
    """One row per change of a subscription: made, edited, paused, resumed, secret rotated, a delivery replayed."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="timeline")
    action = models.CharField(_("action"), max_length=20)
    actor = user_reference(_("actor"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    delivery = models.ForeignKey(
        "Delivery",
        verbose_name=pgettext_lazy("webhooks", "delivery"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("subscription timeline entry")
        verbose_name_plural = _("subscription timeline")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("webhooks", "Pending")
    SENT = "sent", pgettext_lazy("webhooks", "Sent")
    FAILED = "failed", _("Failed, retrying")
    DEAD = "dead", _("Gave up")


DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


class Delivery(models.Model):
    """One state change of one event for one subscription. ``key`` is the idempotency key: every try of it,
    and every replay, carries the same key and the same body."""

    subscription = models.ForeignKey(
        Subscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(
        TimelineEntry, verbose_name=_("timeline entry"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    event_type = models.CharField(_("event type"), max_length=40)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        pgettext_lazy("webhooks", "status"),
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last response code"), null=True, blank=True)
    last_response = models.CharField(_("last response"), max_length=500, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    sent_at = models.DateTimeField(pgettext_lazy("webhooks", "sent at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "entry"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["subscription", "status"], name="webhook_delivery_log"),
        ]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} ({self.key})"


class Attempt(models.Model):
    """One POST of a delivery: when, what came back."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("time"))
    status_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response = models.CharField(_("response"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    succeeded = models.BooleanField(_("succeeded"), default=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")


class OwnerNotice(models.Model):
    """An in-platform message to a person about a subscription (it was paused): their list at /webhooks/notices/."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="notices")
    text = models.CharField(_("text"), max_length=500)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("subscription notice")
        verbose_name_plural = _("subscription notices")
