"""A community's calendar: activities (volunteering, culture events, courses, fitness classes) with one or more
sessions, sign-ups (enrolment), attendance by QR code or the organiser's list, and the fitness spots residents
check in at."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.core import clock
from shequ.geo.models import Region
from shequ.registry.models import Person

from .volunteers import Skill, Team


class ActivityKind(models.TextChoices):
    VOLUNTEER = "volunteer", _("Volunteering")
    CULTURE = "culture", _("Culture event")
    COURSE = "course", _("Course")
    FITNESS = "fitness", _("Fitness class")


class Activity(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("activity", "Draft")
        PUBLISHED = "published", pgettext_lazy("activity", "Published")
        CANCELLED = "cancelled", pgettext_lazy("activity", "Cancelled")

    community = models.ForeignKey(Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices, default=ActivityKind.VOLUNTEER)
    title = models.CharField(pgettext_lazy("community", "title"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    place = models.CharField(_("place"), max_length=120)
    # Places available; NULL: as many as come.
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)
    skills = models.ManyToManyField(Skill, verbose_name=_("skills wanted"), blank=True, related_name="+")
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("organiser"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True)
    # The notice that announced it to residents (through the notices app), when one was pushed.
    notice = models.ForeignKey("notices.Notice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return self.title

    @property
    def gives_hours(self) -> bool:
        """Volunteering attendance is credited to the time bank; other kinds are only counted."""
        return self.kind == ActivityKind.VOLUNTEER


class Session(models.Model):
    """One sitting of an activity. ``code`` is what its check-in QR code carries."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    code = models.CharField(max_length=32, unique=True, editable=False)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after")]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self) -> str:
        return f"{self.activity_id}@{self.starts_at:%Y-%m-%d %H:%M}"


class SignUp(models.Model):
    class State(models.TextChoices):
        SIGNED = "signed", pgettext_lazy("sign-up", "Signed up")
        CANCELLED = "cancelled", pgettext_lazy("sign-up", "Cancelled")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.SIGNED)
    created_at = models.DateTimeField(_("signed up at"), default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["activity", "person"], name="signup_once")]
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")

    def __str__(self) -> str:
        return f"{self.activity_id}:{self.person_id}"


class Attendance(models.Model):
    """Who came to a session, from when to when. For volunteering the minutes are credited to the time bank
    (``transfer``: the posting in force; a correction reverses it and posts anew)."""

    class Method(models.TextChoices):
        QR = "qr", _("QR code")
        LIST = "list", _("Organiser's list")

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="attendances")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    checked_in_at = models.DateTimeField(_("checked in at"))
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    minutes = models.PositiveIntegerField(_("minutes"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    transfer = models.OneToOneField(
        "community.TimeTransfer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    corrections = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["checked_in_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="attendance_once"),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True) | Q(checked_out_at__gte=F("checked_in_at")),
                name="attendance_out_after_in",
            ),
        ]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")

    def __str__(self) -> str:
        return f"{self.session_id}:{self.person_id}"


class ActivityEntry(models.Model):
    """One row per action on an activity (publish, cancel, sign-up, check-in ...)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="timeline")
    action = models.CharField(_("action"), max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)
    at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("activity timeline entry")
        verbose_name_plural = _("activity timeline")

    def __str__(self) -> str:
        return f"{self.activity_id} {self.action}"


class FitnessSpot(models.Model):
    """A community fitness spot (健身点); its QR code (``code``) is posted there for check-ins."""

    community = models.ForeignKey(Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(pgettext_lazy("community", "name"), max_length=60)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    code = models.CharField(max_length=32, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["community", "name"]
        verbose_name = _("fitness spot")
        verbose_name_plural = _("fitness spots")

    def __str__(self) -> str:
        return self.name


class FitnessCheckin(models.Model):
    """One check-in a day per person and spot: the counts per resident and month come from these rows."""

    spot = models.ForeignKey(FitnessSpot, on_delete=models.PROTECT, related_name="checkins")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["spot", "person", "day"], name="fitness_once_a_day")]
        indexes = [models.Index(fields=["person", "day"], name="fitness_person_day")]
        verbose_name = _("fitness check-in")
        verbose_name_plural = _("fitness check-ins")

    def __str__(self) -> str:
        return f"{self.spot_id}:{self.person_id}:{self.day}"
