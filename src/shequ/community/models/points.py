"""Points (积分): the rules staff configure, the garbage-sorting checks that earn by them, and what points buy (the
community's points shop and partner merchants, items with stock, redemptions a merchant confirms with a code)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.core import clock
from shequ.geo.models import Dwelling, Region
from shequ.registry.models import Organization, Person


class Trigger(models.TextChoices):
    VOLUNTEER_HOUR = "volunteer_hour", _("Each hour of volunteering")
    DELIBERATION = "deliberation", _("Joining a deliberation (once per topic)")
    SORTING_CHECK = "sorting_check", _("Passing a garbage-sorting check")
    PROBLEM_CLOSED = "problem_closed", _("Reporting a problem that was closed (once per report)")


class PointsRule(models.Model):
    """Points for a trigger inside a region. For a community the most specific active rule holds (a community's
    own rule over its street's over the district's), as duties do for events."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    points = models.PositiveIntegerField(_("points"))
    active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        ordering = ["region__code", "trigger"]
        constraints = [models.UniqueConstraint(fields=["region", "trigger"], name="points_rule_once")]
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")

    def __str__(self) -> str:
        return f"{self.region_id}:{self.trigger}={self.points}"


class SortingCheck(models.Model):
    """A grid worker's or staff member's garbage-sorting check (垃圾分类检查) of a resident's household."""

    person = models.ForeignKey(Person, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="+")
    dwelling = models.ForeignKey(Dwelling, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    passed = models.BooleanField(_("passed"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    checked_at = models.DateTimeField(_("checked at"), default=clock.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("garbage-sorting check")
        verbose_name_plural = _("garbage-sorting checks")

    def __str__(self) -> str:
        return f"{self.person_id}:{self.passed}"


class Merchant(models.Model):
    """A partner merchant: an organisation of the base that takes points in a community. ``token`` is the secret of
    its confirmation page, where it types the codes residents show."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("active"), default=True)
    token = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        ordering = ["community", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "community"], name="merchant_once")]
        verbose_name = _("partner merchant")
        verbose_name_plural = _("partner merchants")

    def __str__(self) -> str:
        return str(self.organization_id)


class ShopItem(models.Model):
    """Something points buy: in the community's own points shop (no merchant) or at a partner merchant."""

    community = models.ForeignKey(Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(
        Merchant, verbose_name=_("merchant"), null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    name = models.CharField(pgettext_lazy("community", "name"), max_length=60)
    description = models.CharField(_("description"), max_length=300, blank=True)
    points = models.PositiveIntegerField(_("points"))
    stock = models.IntegerField(_("stock"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        ordering = ["community", "points", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="shop_item_stock_not_negative"),
            models.CheckConstraint(condition=Q(points__gt=0), name="shop_item_points_positive"),
        ]
        verbose_name = _("shop item")
        verbose_name_plural = _("shop items")

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    """A resident redeemed an item: the points moved at once (``transfer``) and one piece of stock is held; the
    merchant (or community staff, for the points shop) confirms the hand-over with ``code``. A cancelled
    redemption is reversed: points back, stock back."""

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("redemption", "To collect")
        CONFIRMED = "confirmed", pgettext_lazy("redemption", "Collected")
        CANCELLED = "cancelled", pgettext_lazy("redemption", "Cancelled")

    item = models.ForeignKey(ShopItem, on_delete=models.PROTECT, related_name="redemptions")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveIntegerField(_("points"))
    code = models.CharField(_("code"), max_length=8)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    transfer = models.OneToOneField("community.PointsTransfer", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    confirmed_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=Q(state="pending"), name="redemption_code_pending")
        ]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")

    def __str__(self) -> str:
        return self.code
