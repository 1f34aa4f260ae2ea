"""One aid ledger (帮扶救助台账): aid from every department, tied to a person or household of the base.

``AidKind`` is the catalogue (低保, 特困, 临时救助 ...) with the kinds each excludes; an ``AidItem`` is one grant
of aid by one department (an access ``Unit``) for a period. ``AidFinding`` rows are what the checks found when an
item was entered or imported: overlapping aid of mutually exclusive kinds, aid to someone dead or moved away. People
on the needs list who receive nothing are read live (``aid.checks.unhelped``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.access.models import Unit
from shequ.core import clock
from shequ.core.fields import user_reference
from shequ.registry.models import Household, ImportBatch, Person


class AidKind(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=40)
    # What departments' ledgers call it (低保 for 最低生活保障): an import accepts the code, the name or this.
    short = models.CharField(_("short name"), max_length=20, blank=True)
    # Aid of these kinds for the same person or household over the same days is a duplicate (a kind may exclude
    # itself: two departments paying the same allowance).
    excludes = models.ManyToManyField("self", verbose_name=_("excludes"), blank=True, symmetrical=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("aid kind")
        verbose_name_plural = _("aid kinds")

    def __str__(self) -> str:
        return self.name


class AidItem(models.Model):
    kind = models.ForeignKey(AidKind, verbose_name=_("aid kind"), on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Unit, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        Person, verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        Household,
        verbose_name=pgettext_lazy("services", "household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The area code of the recipient's home when recorded: the community's ledger is the aid of its people.
    area_code = models.CharField(_("area code"), max_length=15, blank=True, db_index=True)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True)
    start = models.DateField(pgettext_lazy("aid", "from"))
    end = models.DateField(pgettext_lazy("aid", "to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    batch = models.ForeignKey(
        ImportBatch, verbose_name=_("import batch"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = user_reference(pgettext_lazy("services", "created by"))
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(household__isnull=False), name="aiditem_has_recipient"
            ),
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="aid_end_after"),
        ]
        indexes = [models.Index(fields=["person", "start"], name="aiditem_person")]
        verbose_name = _("aid item")
        verbose_name_plural = _("aid ledger")

    def __str__(self) -> str:
        return f"{self.kind_id} {self.person_id or self.household_id} {self.start}"


class FindingKind(models.TextChoices):
    OVERLAP = "overlap", _("Overlapping aid of exclusive kinds")
    DEAD = "dead", _("Aid to someone recorded as dead")
    MOVED_AWAY = "moved_away", _("Aid to someone who moved away")


class AidFinding(models.Model):
    """A check's finding on an entry or an import row (``aid`` empty for a dry run's row, which wrote nothing)."""

    kind = models.CharField(_("finding"), max_length=20, choices=FindingKind.choices)
    aid = models.ForeignKey(
        AidItem, verbose_name=_("aid item"), null=True, blank=True, on_delete=models.CASCADE, related_name="findings"
    )
    other = models.ForeignKey(
        AidItem, verbose_name=_("other aid"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Unit, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(_("area code"), max_length=15, blank=True, db_index=True)
    batch = models.ForeignKey(
        ImportBatch, verbose_name=_("import batch"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    row = models.PositiveIntegerField(pgettext_lazy("services", "row"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300)
    found_at = models.DateTimeField(_("found at"), default=clock.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = user_reference(_("resolved by"))
    resolution = models.CharField(_("resolution"), max_length=300, blank=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        verbose_name = _("aid check finding")
        verbose_name_plural = _("aid check findings")

    def __str__(self) -> str:
        return f"{self.kind} {self.person_id}"
