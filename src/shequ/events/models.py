"""The closed loop of events: the catalog (categories, levels, time limits), the
responsibility list (duties), events, their photos and their timeline.

Models hold data and invariants; the workflow lives in ``actions.py``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.access.models import Unit
from shequ.core.fields import user_reference
from shequ.geo.models import Region


class Level(models.Model):
    """An urgency grade (一般, 紧急, 特急) with a default time limit."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=20)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0, help_text=_("Higher is more urgent"))
    default_amount = models.PositiveIntegerField(_("default time limit"), default=5)
    default_unit = models.CharField(_("time unit"), max_length=10, default="days")

    class Meta:
        ordering = ["rank"]
        verbose_name = _("level")
        verbose_name_plural = _("levels")

    def __str__(self) -> str:
        return self.name


class TimeUnit(models.TextChoices):
    HOURS = "hours", _("working hours")
    DAYS = "days", _("working days")


class Category(models.Model):
    """A node of the category tree. Events take leaf categories; codes nest like
    GB/T 30428 (group ``01``, leaf ``0101``)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(_("description"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    default_level = models.ForeignKey(
        Level, verbose_name=_("default level"), null=True, blank=True, on_delete=models.SET_NULL
    )
    active = models.BooleanField(_("active"), default=True)
    # Listed on the open Open311 feed (GET without an api_key). Never disputes, family matters, help for people in
    # hardship: the catalog marks what may be public, a group's mark passes to its leaves (docs/catalog.md).
    public = models.BooleanField(_("public on Open311"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    @property
    def is_leaf(self) -> bool:
        return not self.children.exists()

    def lineage(self) -> list[Category]:
        """This category and its ancestors, most specific first."""
        chain: list[Category] = []
        node: Category | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class TimeLimit(models.Model):
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="time_limits"
    )
    level = models.ForeignKey(Level, verbose_name=_("level"), on_delete=models.CASCADE, related_name="time_limits")
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("time unit"), max_length=10, choices=TimeUnit.choices, default=TimeUnit.DAYS)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["category", "level"], name="time_limit_unique")]
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")

    def __str__(self) -> str:
        return f"{self.category} / {self.level}: {self.amount} {self.get_unit_display()}"


class Duty(models.Model):
    """A line of the responsibility list: events of this category in this region go to this unit.

    The most specific region wins, then the most specific category.
    """

    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="duties")
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.CASCADE, related_name="duties")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="duties")
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["category", "region"], name="duty_unique")]
        verbose_name = _("duty")
        verbose_name_plural = _("responsibility list")

    def __str__(self) -> str:
        return f"{self.category} @ {self.region.name} → {self.unit}"


class Channel(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    RESIDENT = "resident", _("Resident")
    HOTLINE = "hotline", _("12345 hotline")
    DEVICE = "device", _("Device")
    DEPARTMENT = "department", _("Department")
    ALERT = "alert", _("Emergency alert")  # a resident answered an alert with "I need help"


class Status(models.TextChoices):
    REPORTED = "reported", _("To accept")
    REJECTED = "rejected", _("Rejected")
    ACCEPTED = "accepted", _("To dispatch")
    DISPATCHED = "dispatched", _("Being handled")
    HANDLED = "handled", _("To verify")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.HANDLED)


class Event(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_events",
    )
    reporter_name = models.CharField(_("reporter name"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("reporter phone"), max_length=30, blank=True)
    source_ref = models.CharField(_("source reference"), max_length=64, blank=True, db_index=True)
    description = models.TextField(_("description"))
    # The reporter agreed that the description may be shown on the open Open311 feed (never their name or phone).
    publish_description = models.BooleanField(_("description may be published"), default=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    grid = models.ForeignKey(
        Region, verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(Region, verbose_name=_("street"), on_delete=models.PROTECT, related_name="+")
    # The most specific region code (grid, else community): "inside region R" is a prefix match.
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    level = models.ForeignKey(Level, verbose_name=_("level"), on_delete=models.PROTECT, related_name="events")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REPORTED, db_index=True
    )
    # The dispatch desk that owns the event now: community, then street, then district on escalation.
    desk = models.ForeignKey(Region, verbose_name=_("dispatch desk"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        Unit, verbose_name=_("handling unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True, db_index=True)
    overdue = models.BooleanField(_("overdue"), default=False, db_index=True)
    supervised = models.BooleanField(_("supervised"), default=False)
    rework_count = models.PositiveSmallIntegerField(_("rework count"), default=0)
    return_count = models.PositiveSmallIntegerField(_("return count"), default=0)
    extension_hours = models.FloatField(_("extension asked (working hours)"), null=True, blank=True)
    extension_reason = models.CharField(_("extension reason"), max_length=500, blank=True)
    result = models.TextField(_("result"), blank=True)
    handled_by = user_reference(_("handled by"))
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"))
    # A duplicate merged into the event it repeats (intake): rejected, pointing at the one being handled.
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )

    class Meta:
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline"], name="event_status_deadline")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="event_rating_1_5",
            ),
            # A system retrying a report (same channel and reference) must not make a second event.
            models.UniqueConstraint(
                fields=["channel", "source_ref"], condition=~models.Q(source_ref=""), name="event_source_ref_unique"
            ),
        ]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Stage(models.TextChoices):
    REPORT = "report", _("Report")
    HANDLE = "handle", _("Handling")
    VERIFY = "verify", _("Verification")


class EventPhoto(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="photos")
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    file = models.FileField(_("file"), upload_to="events/%Y/%m/")
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


class TimelineEntry(models.Model):
    """One row per state change or action: who, from which status to which, and why."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="timeline")
    action = models.CharField(_("action"), max_length=30)
    actor = user_reference(_("actor"))
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")

    def __str__(self) -> str:
        return f"{self.event_id} {self.action} {self.from_status}->{self.to_status}"


class EventSequence(models.Model):
    """The last sequence number used for a district's events on one day (for readable codes)."""

    district_code = models.CharField(max_length=6)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district_code", "day"], name="event_sequence_unique")]
