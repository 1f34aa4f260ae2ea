"""Deliberation (议事协商): proposals (议题) raised by residents, the property company or the community, supported
onto the agenda, discussed in a moderated thread, met on (minutes), voted on, and decided (an owner and a
follow-up residents can watch).

Owners' votes follow the Civil Code, art. 278 (``community.civil_code``): the roll is taken from the base when the
vote opens (each dwelling of the chosen buildings with its exclusive floor area and its owners), one ballot per
dwelling, cast by an owner or by the person an owner delegated it to."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.access.models import Unit
from shequ.core import clock
from shequ.geo.models import Building, Dwelling, Region
from shequ.registry.models import Person


class RaisedAs(models.TextChoices):
    RESIDENT = "resident", _("A resident")
    PROPERTY = "property", _("The property company")
    COMMUNITY = "community", _("The community")


class Proposal(models.Model):
    class State(models.TextChoices):
        RAISED = "raised", pgettext_lazy("proposal", "Gathering support")
        AGENDA = "agenda", pgettext_lazy("proposal", "On the agenda")
        DECIDED = "decided", pgettext_lazy("proposal", "Decided")
        REJECTED = "rejected", pgettext_lazy("proposal", "Not adopted")
        WITHDRAWN = "withdrawn", pgettext_lazy("proposal", "Withdrawn")

    community = models.ForeignKey(Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(pgettext_lazy("community", "title"), max_length=80)
    body = models.TextField(_("description"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_as = models.CharField(_("raised by"), max_length=10, choices=RaisedAs.choices)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RAISED, db_index=True)
    support_needed = models.PositiveIntegerField(_("support needed"))
    # Kept by ``deliberation.support`` under the proposal's row lock.
    support_count = models.PositiveIntegerField(_("support"), default=0)
    created_at = models.DateTimeField(_("raised at"), default=clock.now)
    agenda_at = models.DateTimeField(_("on the agenda since"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.RAISED, self.State.AGENDA)


class Support(models.Model):
    """One resident's support (附议) for a proposal."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "person"], name="support_once")]
        verbose_name = _("support")
        verbose_name_plural = _("supports")

    def __str__(self) -> str:
        return f"{self.proposal_id}:{self.person_id}"


class Post(models.Model):
    """A message in a proposal's discussion. Reported often enough it is held for a moderator; a moderator may
    hide it (with a reason, kept) or restore it."""

    class State(models.TextChoices):
        VISIBLE = "visible", pgettext_lazy("post", "Visible")
        HELD = "held", pgettext_lazy("post", "Held for moderation")
        HIDDEN = "hidden", pgettext_lazy("post", "Hidden by a moderator")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    voice = models.CharField(_("speaking as"), max_length=10, choices=RaisedAs.choices)
    body = models.TextField(_("message"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.VISIBLE, db_index=True)
    reports = models.PositiveIntegerField(_("reports"), default=0)
    created_at = models.DateTimeField(_("posted at"), default=clock.now)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderation_note = models.CharField(_("moderation note"), max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")

    def __str__(self) -> str:
        return f"{self.proposal_id}:{self.pk}"


class PostReport(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="report_rows")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "reporter"], name="post_report_once")]
        verbose_name = _("post report")
        verbose_name_plural = _("post reports")

    def __str__(self) -> str:
        return f"{self.post_id}:{self.reporter_id}"


class Meeting(models.Model):
    """A deliberation meeting (议事会) on a proposal; its minutes are published to residents once recorded."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="meetings")
    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=120)
    minutes = models.TextField(_("minutes"), blank=True)
    attendance = models.PositiveIntegerField(_("attendance"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("minutes recorded at"), null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.proposal_id}@{self.starts_at:%Y-%m-%d}"


class VoteKind(models.TextChoices):
    OWNERS = "owners", _("Owners' vote (Civil Code art. 278)")
    RESIDENTS = "residents", _("Residents' consultation")


class Matter(models.TextChoices):
    """The matters of Civil Code art. 278, para. 1; items 6 to 8 are the major ones (three quarters)."""

    RULES = "rules", _("(1) Making or amending the rules of procedure of the owners' assembly")
    COVENANT = "covenant", _("(2) Making or amending the management covenant")
    COMMITTEE = "committee", _("(3) Electing or replacing the owners' committee")
    MANAGER = "manager", _("(4) Engaging or dismissing the property company or other manager")
    USE_FUND = "use_fund", _("(5) Using the maintenance fund")
    RAISE_FUND = "raise_fund", _("(6) Raising the maintenance fund")
    REBUILD = "rebuild", _("(7) Altering or rebuilding the buildings and their facilities")
    COMMON_USE = "common_use", _("(8) Changing the use of common parts or running a business on them")
    OTHER = "other", _("(9) Other major matters of common ownership and management")


MAJOR_MATTERS = frozenset({Matter.RAISE_FUND, Matter.REBUILD, Matter.COMMON_USE})


class Vote(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("vote", "Draft")
        OPEN = "open", pgettext_lazy("vote", "Open")
        CLOSED = "closed", pgettext_lazy("vote", "Closed")

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="votes")
    kind = models.CharField(_("kind"), max_length=10, choices=VoteKind.choices)
    matter = models.CharField(_("matter"), max_length=12, choices=Matter.choices, blank=True)
    question = models.CharField(_("question"), max_length=200)
    buildings = models.ManyToManyField(Building, verbose_name=_("buildings"), related_name="+")
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The tally, fixed when the vote closes. Weights are exclusive floor area in hundredths of a m² (owners'
    # votes; 0 for residents'); heads are owners (owners' votes) or residents.
    total_weight = models.BigIntegerField(default=0)
    total_heads = models.PositiveIntegerField(default=0)
    part_weight = models.BigIntegerField(default=0)
    part_heads = models.PositiveIntegerField(default=0)
    yes_weight = models.BigIntegerField(default=0)
    yes_heads = models.PositiveIntegerField(default=0)
    no_weight = models.BigIntegerField(default=0)
    no_heads = models.PositiveIntegerField(default=0)
    abstain_weight = models.BigIntegerField(default=0)
    abstain_heads = models.PositiveIntegerField(default=0)
    quorum = models.BooleanField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="vote_closes_after_opening"),
            models.CheckConstraint(condition=~Q(kind="owners") | ~Q(matter=""), name="vote_owners_have_a_matter"),
        ]
        verbose_name = _("vote")
        verbose_name_plural = _("votes")

    def __str__(self) -> str:
        return self.question

    @property
    def major(self) -> bool:
        return self.kind == VoteKind.OWNERS and self.matter in MAJOR_MATTERS


class RollEntry(models.Model):
    """One ballot's place on a vote's roll, taken when the vote opens: a dwelling with its area and its owners'
    head (``unit``: owners who share dwellings count as one owner, see ``civil_code``) for owners' votes, or one
    resident for residents' votes."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="roll")
    dwelling = models.ForeignKey(Dwelling, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    weight = models.BigIntegerField(default=0)
    unit = models.PositiveIntegerField(_("owner"))
    voters = models.ManyToManyField(Person, related_name="+")

    class Meta:
        ordering = ["vote", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["vote", "dwelling"], condition=Q(dwelling__isnull=False), name="roll_one_per_dwelling"
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="roll_weight_not_negative"),
        ]
        verbose_name = _("roll entry")
        verbose_name_plural = _("roll")

    def __str__(self) -> str:
        return f"{self.vote_id}:{self.dwelling_id or self.unit}"


class Delegation(models.Model):
    """An owner's delegation (委托) of a dwelling's ballot to another person, as recorded; revoked before the
    ballot is cast, or used to cast it."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="delegations")
    entry = models.ForeignKey(RollEntry, on_delete=models.CASCADE, related_name="delegations")
    owner = models.ForeignKey(Person, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    delegate = models.ForeignKey(Person, verbose_name=_("delegate"), on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"], condition=Q(revoked_at__isnull=True), name="delegation_one_in_force"
            ),
            models.CheckConstraint(condition=~Q(owner=F("delegate")), name="delegation_to_someone_else"),
        ]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.owner_id}->{self.delegate_id}"


class Choice(models.TextChoices):
    YES = "yes", _("For")
    NO = "no", _("Against")
    ABSTAIN = "abstain", _("Abstain")


class Ballot(models.Model):
    """The one ballot of a roll entry: never changed once cast."""

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Online")
        PAPER = "paper", _("Paper ballot entered by staff")

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    entry = models.OneToOneField(RollEntry, on_delete=models.CASCADE, related_name="ballot")
    choice = models.CharField(_("choice"), max_length=10, choices=Choice.choices)
    cast_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    delegation = models.ForeignKey(Delegation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    cast_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["cast_at", "id"]
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.choice}"


class Decision(models.Model):
    """What was decided, who sees it done (``owner``), and until when; residents watch its follow-ups."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("decision", "To do")
        DOING = "doing", pgettext_lazy("decision", "Under way")
        DONE = "done", pgettext_lazy("decision", "Done")

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="decisions")
    vote = models.ForeignKey(Vote, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("decision"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("responsible"), on_delete=models.PROTECT, related_name="+"
    )
    due = models.DateField(_("due"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return self.text[:40]


class FollowUp(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="follow_ups")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("progress"))
    state = models.CharField(_("state"), max_length=10, choices=Decision.State.choices)
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"{self.decision_id}@{self.at:%Y-%m-%d}"


class Watch(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="watchers")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["decision", "person"], name="watch_once")]
        verbose_name = _("watch")
        verbose_name_plural = _("watches")

    def __str__(self) -> str:
        return f"{self.decision_id}:{self.person_id}"


class ProposalEntry(models.Model):
    """One row per action on a proposal, its thread, meetings, votes and decisions."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="timeline")
    action = models.CharField(_("action"), max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)
    at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("proposal timeline entry")
        verbose_name_plural = _("proposal timeline")

    def __str__(self) -> str:
        return f"{self.proposal_id} {self.action}"
