"""Spot checks (督查核查) and the monthly report's subscribers.

An ``Inspection`` is one random draw: of closed events or of collected records in an area and a date range. It
keeps the population it drew from (its ids in a fixed order), the seed and the size, so anyone can draw again
with ``random.Random(seed).sample(population, size)`` and get the same items. Each ``InspectionItem`` is checked
on site from a phone: passed or failed, a note and a photo. A failed closed event is reopened as rework.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.collection.models import TaskItem
from shequ.core import clock
from shequ.core.fields import user_reference
from shequ.events.models import Event
from shequ.geo.models import Region


class InspectionKind(models.TextChoices):
    EVENTS = "events", _("Closed events")
    RECORDS = "records", _("Collected records")


class Inspection(models.Model):
    kind = models.CharField(_("what is checked"), max_length=10, choices=InspectionKind.choices)
    region = models.ForeignKey(Region, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    date_from = models.DateField(pgettext_lazy("assessment", "from"))
    date_to = models.DateField(pgettext_lazy("assessment", "to"))
    size = models.PositiveIntegerField(_("sample size"))
    seed = models.BigIntegerField(_("seed"))
    # The ids drawn from, in the order the draw used (ascending): the draw can be repeated from these.
    population = models.JSONField(default=list)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("drawn by"), on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField(_("drawn at"), default=clock.now)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-drawn_at", "-id"]
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region.name} {self.date_from}–{self.date_to}"


class Result(models.TextChoices):
    PENDING = "pending", _("To check")
    PASSED = "passed", pgettext_lazy("spot check", "Passed")
    FAILED = "failed", pgettext_lazy("spot check", "Failed")


class InspectionItem(models.Model):
    inspection = models.ForeignKey(
        Inspection, verbose_name=_("spot check"), on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveIntegerField(pgettext_lazy("assessment", "position"))  # order of the draw
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    task_item = models.ForeignKey(TaskItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, default=Result.PENDING)
    note = models.TextField(_("note"), blank=True)
    photo = models.FileField(_("photo"), upload_to="inspections/%Y/%m/", blank=True)
    photo_type = models.CharField(max_length=50, blank=True)
    checked_by = user_reference(_("checked by"))
    checked_at = models.DateTimeField(_("checked at"), null=True)
    # Whose work the result counts for, fixed when checked: the closing unit and the verifier of an event, the
    # collector of a record (so a rebuild of the facts gives the same).
    area_code = models.CharField(max_length=15, blank=True)
    assessed_unit_id = models.BigIntegerField(null=True)
    assessed_person_id = models.BigIntegerField(null=True)

    class Meta:
        ordering = ["inspection", "position"]
        verbose_name = _("spot-check item")
        verbose_name_plural = _("spot-check items")


class Subscription(models.Model):
    """Someone who receives the monthly report of a street or the district on the first working day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, verbose_name=_("area"), on_delete=models.CASCADE, related_name="+")
    email = models.BooleanField(_("also by email"), default=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "region"], name="report_subscription_once")]
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")


class ReportRun(models.Model):
    """One monthly report made and sent (once per area and month, however often the scheduler asks)."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    file = models.FileField(upload_to="reports/%Y/")
    created_at = models.DateTimeField(default=clock.now)
    recipients = models.PositiveIntegerField(default=0)
    emailed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-month", "region__code"]
        constraints = [models.UniqueConstraint(fields=["region", "month"], name="report_run_once")]
