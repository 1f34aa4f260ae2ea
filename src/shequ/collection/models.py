"""Collection tasks (采集任务 / 智慧表单): a grid worker confirms or completes the base's records of one grid.

A task lists everyone living in its grid when it was made (one ``TaskItem`` each). A submitted item writes through
``registry.actions`` (``Change`` rows with source ``collection`` and the task id) and leaves one ``FieldConfirmation``
per field asked, changed or not: those rows are what makes a field *fresh*, so no task asks it again for a while.
The task's own ``TaskEntry`` rows are its timeline (made, each item done, completed, cancelled).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.core import clock
from shequ.core.fields import user_reference
from shequ.geo.models import Region
from shequ.registry.models import Person


class TaskStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class CollectionTask(models.Model):
    """采集任务: one grid, one grid worker of that grid, the people living there when it was made."""

    grid = models.ForeignKey(Region, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("grid worker"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=100)
    # The dictionary fields (such as "person.phone") this task may ask; the form asks only the stale ones.
    fields = models.JSONField(_("fields"), default=list)
    due = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)
    closed_at = models.DateTimeField(pgettext_lazy("collection", "closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["assignee", "status"], name="collectiontask_assignee")]
        verbose_name = _("collection task")
        verbose_name_plural = _("collection tasks")

    def __str__(self) -> str:
        return self.title


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")  # every asked value was right as it was
    UPDATED = "updated", pgettext_lazy("collection", "Updated")  # at least one value changed


class TaskItem(models.Model):
    """One person to confirm or complete within a task."""

    task = models.ForeignKey(CollectionTask, verbose_name=_("task"), on_delete=models.CASCADE, related_name="items")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    # The field names asked when it was done (dictionary names such as "person.phone"), and how many changed.
    asked = models.JSONField(_("fields asked"), default=list, blank=True)
    changed = models.PositiveSmallIntegerField(_("fields changed"), default=0)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    by = user_reference(_("by"))

    class Meta:
        ordering = ["task", "id"]
        constraints = [models.UniqueConstraint(fields=["task", "person"], name="taskitem_one_per_person")]
        indexes = [
            models.Index(fields=["task", "status"], name="taskitem_task_status"),
            models.Index(fields=["person", "done_at"], name="taskitem_person_done"),
        ]
        verbose_name = _("task item")
        verbose_name_plural = _("task items")

    def __str__(self) -> str:
        return f"{self.task_id}/{self.person_id}"

    @property
    def done(self) -> bool:
        return self.status != ItemStatus.PENDING


class FieldConfirmation(models.Model):
    """A field of a record seen and confirmed (changed or not) by a grid worker in a task.

    ``record_type`` and ``field`` are spelled as in ``registry.Change`` ("person", "phone"), so freshness reads both
    tables the same way."""

    record_type = models.CharField(_("record type"), max_length=30)
    record_id = models.BigIntegerField(_("record id"))
    field = models.CharField(_("field"), max_length=40)
    confirmed_at = models.DateTimeField(_("confirmed at"), default=clock.now)
    task = models.ForeignKey(
        CollectionTask, verbose_name=_("task"), on_delete=models.PROTECT, related_name="confirmations"
    )
    by = user_reference(_("by"))

    class Meta:
        ordering = ["confirmed_at", "id"]
        indexes = [
            models.Index(fields=["record_type", "record_id", "field", "confirmed_at"], name="confirmation_record")
        ]
        verbose_name = _("field confirmation")
        verbose_name_plural = _("field confirmations")

    def __str__(self) -> str:
        return f"{self.record_type}#{self.record_id}.{self.field}"


class EntryKind(models.TextChoices):
    CREATED = "created", _("Task created")
    ITEM_CONFIRMED = "item_confirmed", _("Record confirmed")
    ITEM_UPDATED = "item_updated", _("Record updated")
    COMPLETED = "completed", _("Task completed")
    CANCELLED = "cancelled", _("Task cancelled")


class TaskEntry(models.Model):
    """The task's timeline: one row per state change of the task or one of its items."""

    task = models.ForeignKey(CollectionTask, verbose_name=_("task"), on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    item = models.ForeignKey(
        TaskItem, verbose_name=_("item"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    by = user_reference(_("by"))
    at = models.DateTimeField(_("at"), default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = pgettext_lazy("collection", "timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        return f"{self.task_id} {self.kind}"
