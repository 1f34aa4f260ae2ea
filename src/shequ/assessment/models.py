"""Assessment's data: the facts taken from timelines and their rollups (this module), the monthly schemes and
scores (``scoring_models``), spot checks and report subscriptions (``inspection_models``).

A ``Fact`` is one source record's share of the measures on one day, for one unit and one person: an event's
timeline gives one to a few facts, a collection item or a spot check one. ``Rollup`` rows are the sums of facts per
day and per month, per community, in slices (all, grid, category, channel, unit, person), so a board reads a few
thousand rows whatever the number of events. Both are kept by ``rollups.py``: an event's facts are derived again
whenever its timeline grows (``Pending`` says which), and the rollups move by the difference.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.events.models import Level


class Measures(models.Model):
    """One column per measure of ``indicators.MEASURES`` (a test keeps the two lists equal)."""

    reported = models.IntegerField(default=0)
    self_found = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    response_base = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)
    accepted_closed = models.IntegerField(default=0)
    dispatched = models.IntegerField(default=0)
    cycles = models.IntegerField(default=0)
    cycles_overdue = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    handled_on_time = models.IntegerField(default=0)
    verified = models.IntegerField(default=0)
    verify_failed = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    close_minutes = models.BigIntegerField(default=0)
    rated = models.IntegerField(default=0)
    rated_good = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    verifications_done = models.IntegerField(default=0)
    items_done = models.IntegerField(default=0)
    corrections = models.IntegerField(default=0)
    visits = models.IntegerField(default=0)
    spot_checked = models.IntegerField(default=0)
    spot_failed = models.IntegerField(default=0)

    class Meta:
        abstract = True


class Source(models.TextChoices):
    EVENT = "event", _("Event")
    COLLECTION_ITEM = "collection_item", _("Collection item")
    CORRECTION = "correction", _("Data correction")
    VISIT = "visit", _("Visit")
    INSPECTION = "inspection", _("Spot check")


class Fact(Measures):
    """A source record's measures on one day for one unit and one person (ids, not keys: facts outlive edits)."""

    source = models.CharField(max_length=20, choices=Source.choices)
    source_id = models.BigIntegerField()
    day = models.DateField()  # local date (Asia/Shanghai)
    community_code = models.CharField(max_length=12)
    area_code = models.CharField(max_length=15)  # the grid's code, else the community's
    category_code = models.CharField(max_length=20, blank=True)
    channel = models.CharField(max_length=20, blank=True)
    unit_id = models.BigIntegerField(null=True)
    person_id = models.BigIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["source", "source_id"], name="fact_source"),
            models.Index(fields=["community_code", "day"], name="fact_area_day"),
            models.Index(fields=["unit_id", "day"], name="fact_unit_day"),
            models.Index(fields=["person_id", "day"], name="fact_person_day"),
        ]


class Grain(models.TextChoices):
    DAY = "d", _("Day")
    MONTH = "m", _("Month")


class Slice(models.TextChoices):
    ALL = "", _("All")
    GRID = "grid", _("Grid")
    CATEGORY = "category", _("Category")
    CHANNEL = "channel", _("Channel")
    UNIT = "unit", _("Unit")
    PERSON = "person", _("Person")


class Rollup(Measures):
    """The sum of facts per (grain, day or month, community, slice, key). ``key`` is the slice's value: a grid
    code, a category code, a channel, a unit's or a person's id; empty for the slice of all."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    day = models.DateField()  # the day, or the first day of the month
    community_code = models.CharField(max_length=12)
    slice = models.CharField(max_length=10, choices=Slice.choices, blank=True)
    key = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["slice", "grain", "community_code", "day", "key"], name="rollup_cell")
        ]
        indexes = [models.Index(fields=["slice", "key", "grain", "day"], name="rollup_key_day")]


class Pending(models.Model):
    """An event whose timeline grew since its facts were derived: one row per timeline row, appended in the
    action's own transaction (``rollups.queue_event``) and taken away by the fold."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.BigIntegerField()


class Watermark(models.Model):
    """Progress of the fold: ``fold`` is the row the one running fold locks; ``work:<source>`` the last id of a
    work source (collection items, corrections, visits) read."""

    name = models.CharField(max_length=40, unique=True)
    value = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True)


class ResponseLimit(models.Model):
    """响应时限: how many working hours the desk has to accept an event of this level. Levels without a row
    use ``SHEQU_RESPONSE_HOURS``."""

    level = models.OneToOneField(Level, verbose_name=_("level"), on_delete=models.CASCADE, related_name="+")
    hours = models.FloatField(_("working hours"))

    class Meta:
        verbose_name = _("response limit")
        verbose_name_plural = _("response limits")

    def __str__(self) -> str:
        return f"{self.level}: {self.hours:g}"


from .inspection_models import Inspection, InspectionItem, ReportRun, Subscription  # noqa: E402
from .scoring_models import Appeal, Correction, Entry, Month, Scheme, SchemeItem, Score  # noqa: E402

__all__ = [
    "Appeal",
    "Correction",
    "Entry",
    "Fact",
    "Inspection",
    "InspectionItem",
    "Month",
    "Pending",
    "ReportRun",
    "ResponseLimit",
    "Rollup",
    "Scheme",
    "SchemeItem",
    "Score",
    "Subscription",
    "Watermark",
]
