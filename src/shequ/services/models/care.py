"""Care (关爱): the needs list, visit plans and visits.

A ``CareSubject`` is a person on the needs list (需求清单), put there from the base's tags (elderly living alone,
empty nest, disabled, bedridden, low income, left-behind children) or by a request from another app, with a risk
level. Each open ``CareTask`` is one visit due from the grid worker of the subject's grid: the plan's next visit
(due after the interval of the subject's risk level, ``VisitInterval``), or one asked for by someone else (a device
rule, a finding, staff). A task not done by its due date is overdue for the worker; after a second period it is
escalated to the community. A ``CareVisit`` records the visit: when, where (checked against the dwelling's grid)
and what was found; a finding can open an event or a service order.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.core import clock
from shequ.core.fields import user_reference
from shequ.geo.models import Region
from shequ.registry.models import Person


class Risk(models.TextChoices):
    HIGH = "high", _("High risk")
    MEDIUM = "medium", _("Medium risk")
    LOW = "low", _("Low risk")


class VisitInterval(models.Model):
    """How often a subject of each risk level is visited (days between visits); editable by administrators."""

    risk = models.CharField(_("risk level"), max_length=10, choices=Risk.choices, unique=True)
    days = models.PositiveSmallIntegerField(_("days between visits"))

    class Meta:
        ordering = ["days"]
        verbose_name = _("visit interval")
        verbose_name_plural = _("visit intervals")

    def __str__(self) -> str:
        return f"{self.get_risk_display()}: {self.days}"


class CareSubject(models.Model):
    person = models.OneToOneField(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    risk = models.CharField(_("risk level"), max_length=10, choices=Risk.choices, default=Risk.LOW)
    # The care tags the person held when the list was last built (codes), and what they need.
    tags = models.JSONField(_("tags"), default=list, blank=True)
    needs = models.TextField(_("needs"), blank=True)
    # The grid of the person's home when the list was last built: it scopes the subject and names the worker.
    grid = models.ForeignKey(Region, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("on the needs list"), default=True)
    added_at = models.DateTimeField(_("added at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        ordering = ["grid__code", "id"]
        verbose_name = _("care subject")
        verbose_name_plural = _("needs list")

    def __str__(self) -> str:
        return f"{self.person_id} {self.risk}"


class TaskReason(models.TextChoices):
    PLAN = "plan", _("Planned visit")
    REQUEST = "request", _("Requested visit")


class CareTask(models.Model):
    """A visit due from a grid worker."""

    subject = models.ForeignKey(
        CareSubject, verbose_name=pgettext_lazy("services", "subject"), on_delete=models.CASCADE, related_name="tasks"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("grid worker"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    grid = models.ForeignKey(Region, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(
        pgettext_lazy("services", "kind"), max_length=10, choices=TaskReason.choices, default=TaskReason.PLAN
    )
    reason = models.CharField(pgettext_lazy("care", "reason"), max_length=200, blank=True)
    # Who asked for it ("devices:alarm:12", "visit:5" ...): a second request from the same source while the first is
    # open is the same task.
    source = models.CharField(pgettext_lazy("services", "source"), max_length=100, blank=True)
    due = models.DateField(pgettext_lazy("services", "due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    escalated = models.BooleanField(_("escalated to the community"), default=False)
    created_by = user_reference(pgettext_lazy("services", "created by"))
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        ordering = ["due", "id"]
        indexes = [
            models.Index(fields=["worker", "done_at"], name="caretask_worker"),
            models.Index(fields=["due", "done_at"], name="caretask_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subject"],
                condition=Q(kind="plan", done_at__isnull=True, cancelled_at__isnull=True),
                name="caretask_one_open_plan",
            )
        ]
        verbose_name = _("care task")
        verbose_name_plural = _("care tasks")

    def __str__(self) -> str:
        return f"{self.subject_id} {self.due}"

    @property
    def is_open(self) -> bool:
        return self.done_at is None and self.cancelled_at is None


class Wellbeing(models.TextChoices):
    GOOD = "good", _("Well")
    CONCERN = "concern", _("Some concern")
    URGENT = "urgent", _("Needs help now")


class CareVisit(models.Model):
    task = models.OneToOneField(
        CareTask, verbose_name=_("task"), null=True, blank=True, on_delete=models.SET_NULL, related_name="visit"
    )
    subject = models.ForeignKey(
        CareSubject, verbose_name=pgettext_lazy("services", "subject"), on_delete=models.PROTECT, related_name="visits"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("grid worker"), on_delete=models.PROTECT, related_name="+"
    )
    visited_at = models.DateTimeField(_("visited at"), default=clock.now)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    # The grid the position fell in, and whether that is the grid of the visited dwelling (None: no position).
    located_grid = models.CharField(_("grid of the position"), max_length=15, blank=True)
    location_ok = models.BooleanField(_("position in the dwelling's grid"), null=True)
    wellbeing = models.CharField(_("wellbeing"), max_length=10, choices=Wellbeing.choices, default=Wellbeing.GOOD)
    findings = models.TextField(_("findings"), blank=True)
    event = models.ForeignKey(
        "events.Event",
        verbose_name=_("event opened"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.ForeignKey(
        "services.ServiceOrder",
        verbose_name=_("order placed"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = _("care visit")
        verbose_name_plural = _("care visits")

    def __str__(self) -> str:
        return f"{self.subject_id} {self.visited_at:%Y-%m-%d}"


class CareEntry(models.Model):
    """The timeline of a care task: opened, overdue, escalated, visited, cancelled."""

    task = models.ForeignKey(CareTask, on_delete=models.CASCADE, related_name="timeline")
    action = models.CharField(_("action"), max_length=20)
    actor = user_reference(_("by"))
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("care timeline entry")
        verbose_name_plural = _("care timeline")

    def __str__(self) -> str:
        return f"{self.task_id} {self.action}"
