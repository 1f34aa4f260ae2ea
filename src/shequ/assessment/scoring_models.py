"""Monthly assessment (月度考核): schemes, months, scores, corrections and appeals, with a timeline.

A ``Scheme`` says how a grid worker or a unit is scored: indicators with weights and targets, deductions for
overdue cycles and rework, a bonus for self-found events. A ``Month`` of a scheme is computed (its ``Score`` rows
written from the rollups), reviewed and then frozen; a frozen month's scores never change again. A later fix is a
``Correction`` row beside the score (an accepted ``Appeal`` makes one), shown as such. ``Entry`` rows are the
timeline of a month, its scores and appeals.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.core import clock
from shequ.core.fields import user_reference


class SubjectKind(models.TextChoices):
    WORKER = "worker", _("Grid worker")
    UNIT = "unit", _("Unit")


class Scheme(models.Model):
    name = models.CharField(_("name"), max_length=100)
    subject = models.CharField(_("scored"), max_length=10, choices=SubjectKind.choices)
    active = models.BooleanField(_("active"), default=True)
    overdue_deduction = models.FloatField(_("deduction per overdue cycle"), default=1.0)
    rework_deduction = models.FloatField(_("deduction per rework"), default=1.0)
    self_found_bonus = models.FloatField(_("bonus per self-found event"), default=0.5)
    bonus_cap = models.FloatField(_("largest bonus"), default=10.0)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        ordering = ["subject", "name"]
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")

    def __str__(self) -> str:
        return self.name


class SchemeItem(models.Model):
    """One indicator of a scheme: its weight (points) and target. A rate's target is a fraction (0.9 = 90 %)."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="items")
    indicator = models.CharField(_("indicator"), max_length=30)
    weight = models.FloatField(_("weight (points)"))
    target = models.FloatField(_("target"))
    position = models.PositiveSmallIntegerField(pgettext_lazy("assessment", "position"), default=0)

    class Meta:
        ordering = ["scheme", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "indicator"], name="scheme_item_once")]
        verbose_name = _("scheme item")
        verbose_name_plural = _("scheme items")

    def __str__(self) -> str:
        return f"{self.scheme}: {self.indicator}"


class MonthStatus(models.TextChoices):
    COMPUTED = "computed", _("Computed")
    REVIEWED = "reviewed", _("Reviewed")
    FROZEN = "frozen", _("Frozen")


class Month(models.Model):
    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="months")
    month = models.DateField(_("month"))  # its first day
    status = models.CharField(_("status"), max_length=10, choices=MonthStatus.choices, default=MonthStatus.COMPUTED)
    # The scheme as it was when computed: editing the scheme later does not change what a month says.
    scheme_snapshot = models.JSONField(default=dict)
    computed_at = models.DateTimeField(_("computed at"), null=True)
    computed_by = user_reference(_("computed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True)
    reviewed_by = user_reference(_("reviewed by"))
    frozen_at = models.DateTimeField(_("frozen at"), null=True)
    frozen_by = user_reference(_("frozen by"))

    class Meta:
        ordering = ["-month", "scheme"]
        constraints = [models.UniqueConstraint(fields=["scheme", "month"], name="assessment_month_once")]
        verbose_name = _("assessment month")
        verbose_name_plural = _("assessment months")

    def __str__(self) -> str:
        return f"{self.scheme} {self.month:%Y-%m}"

    @property
    def frozen(self) -> bool:
        return self.status == MonthStatus.FROZEN


class Score(models.Model):
    """A grid worker's or a unit's score for a month. ``items``: one entry per scheme item (indicator, value,
    numerator, denominator, target, weight, points). Ranks are within the community, street and district."""

    month = models.ForeignKey(Month, verbose_name=_("month"), on_delete=models.CASCADE, related_name="scores")
    subject_kind = models.CharField(_("scored"), max_length=10, choices=SubjectKind.choices)
    subject_id = models.BigIntegerField()
    name = models.CharField(_("name"), max_length=100)
    area_code = models.CharField(_("area code"), max_length=15)  # a worker's grid; a unit's region
    items = models.JSONField(default=list)
    base = models.FloatField(_("indicator points"))
    deductions = models.FloatField(_("deductions"))
    bonus = models.FloatField(_("bonus"))
    total = models.FloatField(_("total"))
    rank_community = models.PositiveIntegerField(null=True)
    rank_street = models.PositiveIntegerField(null=True)
    rank_district = models.PositiveIntegerField(null=True)

    class Meta:
        ordering = ["month", "-total", "name"]
        constraints = [
            models.UniqueConstraint(fields=["month", "subject_kind", "subject_id"], name="assessment_score_once")
        ]
        verbose_name = pgettext_lazy("assessment", "score")
        verbose_name_plural = _("scores")

    def __str__(self) -> str:
        return f"{self.month} {self.name}: {self.total:.1f}"

    @property
    def corrected_total(self) -> float:
        return self.total + sum(c.delta for c in self.corrections.all())


class AppealStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("appeal", "Pending")
    ACCEPTED = "accepted", pgettext_lazy("appeal", "Accepted")
    REJECTED = "rejected", pgettext_lazy("appeal", "Rejected")


class Appeal(models.Model):
    """申诉: the scored person contests one item of a score; a reviewer accepts (with the points given back, a
    correction) or rejects it, with a note."""

    score = models.ForeignKey(
        Score, verbose_name=pgettext_lazy("assessment", "score"), on_delete=models.CASCADE, related_name="appeals"
    )
    item = models.CharField(_("item"), max_length=30)  # an indicator code, or "deductions"
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=clock.now)
    status = models.CharField(_("status"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING)
    decided_by = user_reference(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True)
    decision_note = models.TextField(_("decision"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"{self.score} / {self.item}"


class Correction(models.Model):
    """A change to a score after it was computed: never an edit of the score itself."""

    score = models.ForeignKey(
        Score, verbose_name=pgettext_lazy("assessment", "score"), on_delete=models.CASCADE, related_name="corrections"
    )
    delta = models.FloatField(_("points"))
    reason = models.TextField(_("reason"))
    appeal = models.OneToOneField(
        Appeal, verbose_name=_("appeal"), null=True, blank=True, on_delete=models.PROTECT, related_name="correction"
    )
    by = user_reference(_("by"))
    at = models.DateTimeField(_("at"), default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")


class Entry(models.Model):
    """The timeline of a month: computed, reviewed, frozen, each appeal filed and decided, each correction."""

    month = models.ForeignKey(Month, on_delete=models.CASCADE, related_name="entries")
    score = models.ForeignKey(Score, null=True, blank=True, on_delete=models.CASCADE, related_name="entries")
    appeal = models.ForeignKey(Appeal, null=True, blank=True, on_delete=models.CASCADE, related_name="entries")
    action = models.CharField(_("action"), max_length=30)
    actor = user_reference(_("actor"))
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = pgettext_lazy("assessment", "timeline entry")
        verbose_name_plural = pgettext_lazy("assessment", "timeline")
