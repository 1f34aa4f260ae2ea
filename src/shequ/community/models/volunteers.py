"""Volunteers (志愿者) are people of the base: a ``Volunteer`` row adds skills, availability and teams to a
``registry.Person`` and copies nothing of it (name and phone stay on the person). ``HelpRequest`` is a resident
asking a volunteer for a service paid in time-bank hours."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.core import clock
from shequ.geo.models import Region
from shequ.registry.models import Person


class Skill(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(pgettext_lazy("community", "name"), max_length=50)

    class Meta:
        ordering = ["code"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return self.name


class Availability(models.TextChoices):
    WEEKDAY_DAY = "weekday_day", _("Weekday daytime")
    WEEKDAY_EVENING = "weekday_evening", _("Weekday evenings")
    WEEKEND_DAY = "weekend_day", _("Weekend daytime")
    WEEKEND_EVENING = "weekend_evening", _("Weekend evenings")


class Volunteer(models.Model):
    """A person of the base who volunteers in a community."""

    class State(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("volunteer", "Active")
        LEFT = "left", pgettext_lazy("volunteer", "Left")

    person = models.OneToOneField(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="volunteer")
    community = models.ForeignKey(Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    skills = models.ManyToManyField(Skill, verbose_name=_("skills"), blank=True, related_name="volunteers")
    # Slots between commas (",weekday_day,weekend_day,"): "available at S" is one LIKE on both databases.
    availability = models.CharField(_("availability"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE)
    note = models.CharField(_("note"), max_length=200, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    joined_at = models.DateTimeField(_("joined at"), default=clock.now)

    class Meta:
        ordering = ["-joined_at", "id"]
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")

    def __str__(self) -> str:
        return str(self.person_id)

    @property
    def slots(self) -> list[str]:
        return [s for s in self.availability.split(",") if s]

    def slot_labels(self) -> list[str]:
        names = dict(Availability.choices)
        return [str(names.get(s, s)) for s in self.slots]

    @staticmethod
    def pack(slots: list[str]) -> str:
        return "," + ",".join(slots) + "," if slots else ""


class Team(models.Model):
    """A volunteer team of a community (e.g. 银发陪伴队); its leaders publish the team's activities."""

    community = models.ForeignKey(Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(pgettext_lazy("community", "name"), max_length=60)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        ordering = ["community", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="team_name_per_community")]
        verbose_name = _("volunteer team")
        verbose_name_plural = _("volunteer teams")

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="memberships")
    leader = models.BooleanField(_("team leader"), default=False)
    joined_at = models.DateTimeField(_("joined at"), default=clock.now)

    class Meta:
        ordering = ["-leader", "joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "volunteer"], name="team_member_once")]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")

    def __str__(self) -> str:
        return f"{self.team_id}:{self.volunteer_id}"


class HelpRequest(models.Model):
    """A resident asks for a service (accompanying to hospital, shopping for a neighbour ...); a volunteer takes it
    and, once the resident confirms it was done, the hours move from the resident's (or household's) time account
    to the volunteer's."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("help request", "Open")
        TAKEN = "taken", pgettext_lazy("help request", "Taken")
        DONE = "done", pgettext_lazy("help request", "Done")
        CANCELLED = "cancelled", pgettext_lazy("help request", "Cancelled")

    class PayFrom(models.TextChoices):
        PERSON = "person", _("My own hours")
        HOUSEHOLD = "household", _("My household's hours")

    requester = models.ForeignKey(Person, verbose_name=_("requester"), on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(pgettext_lazy("community", "title"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    wanted_at = models.DateTimeField(_("wanted at"))
    minutes = models.PositiveIntegerField(_("minutes offered"))
    pay_from = models.CharField(_("pay from"), max_length=10, choices=PayFrom.choices, default=PayFrom.PERSON)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    helper = models.ForeignKey(
        Volunteer, verbose_name=_("helper"), null=True, blank=True, on_delete=models.PROTECT, related_name="helps"
    )
    transfer = models.OneToOneField(
        "community.TimeTransfer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    taken_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gt=0), name="help_minutes_positive"),
            models.CheckConstraint(
                condition=~Q(state="done") | Q(transfer__isnull=False), name="help_done_has_transfer"
            ),
        ]
        verbose_name = _("help request")
        verbose_name_plural = _("help requests")

    def __str__(self) -> str:
        return self.title
