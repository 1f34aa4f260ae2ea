"""Model versions with their evaluation, training runs (with progress), and the
corrections staff make to a suggested category (labelled examples)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.core.fields import user_reference


class ModelVersion(models.Model):
    """One trained classifier: its arrays (the npz file's bytes) and how it did on the held-back set."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    created_at = models.DateTimeField(_("trained at"))
    trained_by = user_reference(_("trained by"))
    seed = models.IntegerField(_("seed"))
    examples = models.PositiveIntegerField(_("training examples"))
    corrections = models.PositiveIntegerField(_("corrections used"), default=0)
    top1 = models.FloatField(_("top-1 accuracy"))
    top3 = models.FloatField(_("top-3 accuracy"))
    evaluation = models.JSONField(_("evaluation"), default=dict)
    arrays = models.BinaryField(_("model arrays"))
    digest = models.CharField(_("SHA-256 of the arrays"), max_length=64)
    active = models.BooleanField(_("active"), default=False, db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")

    def __str__(self) -> str:
        return f"v{self.number}"


class TrainingRun(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", pgettext_lazy("intake", "Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.FloatField(pgettext_lazy("intake", "progress"), default=0.0)
    message = models.CharField(pgettext_lazy("intake", "message"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(pgettext_lazy("intake", "finished at"), null=True, blank=True)
    started_by = user_reference(_("started by"))
    version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    activated = models.BooleanField(_("activated"), default=False)

    class Meta:
        ordering = ["-started_at", "-id"]


class Correction(models.Model):
    """Staff chose another category than the one suggested: a labelled example for the next training."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    text = models.TextField(pgettext_lazy("intake", "text"))
    suggested = models.CharField(_("suggested category"), max_length=20, blank=True)
    chosen = models.CharField(_("chosen category"), max_length=20)
    by = user_reference(_("by"))
    at = models.DateTimeField(_("time"))

    class Meta:
        ordering = ["-at", "-id"]
