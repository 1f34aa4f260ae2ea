"""The release ledger: which cells each asking department has been shown, so later answers stay consistent and
cannot be combined with earlier ones to work out a small count."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core import clock


class Asker(models.Model):
    """One asking department (a unit, or a user without one). Its row is locked while an answer is worked out,
    so two simultaneous queries of one department are checked one after the other."""

    key = models.CharField(_("asker"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("statistics asker")
        verbose_name_plural = _("statistics askers")

    def __str__(self) -> str:
        return self.key


class Release(models.Model):
    """One cell shown to an asker: the true count then and what was shown (a number, "<5" or "x")."""

    asker = models.ForeignKey(Asker, verbose_name=_("asker"), on_delete=models.CASCADE, related_name="releases")
    cell = models.CharField(_("cell"), max_length=120)
    count = models.PositiveIntegerField(_("count"))
    shown = models.CharField(_("shown as"), max_length=12)
    released_at = models.DateTimeField(_("released at"), default=clock.now)

    class Meta:
        ordering = ["asker", "-released_at", "-id"]
        indexes = [models.Index(fields=["asker", "released_at"], name="stats_release_asker_at")]
        verbose_name = _("released cell")
        verbose_name_plural = _("released cells")

    def __str__(self) -> str:
        return f"{self.asker_id}:{self.cell}={self.shown}"


class MembershipCheck(models.Model):
    """One membership question asked (answered or refused as invalid): what the hourly limit counts."""

    asker = models.ForeignKey(Asker, verbose_name=_("asker"), on_delete=models.CASCADE, related_name="checks")
    at = models.DateTimeField(_("at"), default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["asker", "at"], name="stats_check_asker_at")]
        verbose_name = _("membership check")
        verbose_name_plural = _("membership checks")

    def __str__(self) -> str:
        return f"{self.asker_id}@{self.at:%Y-%m-%d %H:%M}"
