"""Votes on proposals: the roll taken from the base, delegation, ballots, the tally and its result.

Rules:
- A community's managers set a vote on a proposal that is on the agenda, over buildings of that community. An
  owners' vote names its matter (Civil Code art. 278, which says whether it is a major one); a residents'
  consultation asks everyone living there and advises only.
- Opening takes the roll from the base, once: each dwelling of the buildings with its exclusive floor area and its
  owners of the day (residences with the role "owner"); for a residents' consultation, each person living there.
  An owners' vote does not open while a dwelling lacks its area.
- One ballot per roll entry (per dwelling, for owners), cast between ``opens_at`` and ``closes_at`` by one of its
  owners, or by the person an owner delegated it to; while a delegation is in force only the delegate casts. A
  ballot never changes. Staff enter paper ballots and paper delegations, recorded as such.
- Closing (by staff, or the sweep once ``closes_at`` has passed) fixes the tally and the result
  (``civil_code``); it is published to residents with its figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from shequ.geo.models import Building, Dwelling
from shequ.registry.models import Person
from shequ.registry.queries import current_residences

from . import civil_code, points, scopes, timebank
from .models import Ballot, Choice, Delegation, Matter, Proposal, ProposalEntry, RollEntry, Vote, VoteKind

OWNER = "owner"


def _log(proposal: Proposal, action: str, by: User | None, note: str = "") -> None:
    ProposalEntry.objects.create(proposal=proposal, action=action, actor=by, note=note[:300])


def _require_manager(by: User, proposal: Proposal) -> None:
    if not scopes.manages(by, proposal.community):
        raise PermissionDenied(_("Only the community's staff may run votes."), code="not_a_manager")


@transaction.atomic
def create(
    *,
    by: User,
    proposal: Proposal,
    kind: str,
    question: str,
    buildings: Sequence[Building],
    opens_at: datetime,
    closes_at: datetime,
    matter: str = "",
) -> Vote:
    proposal = Proposal.objects.select_for_update(of=("self",)).select_related("community").get(pk=proposal.pk)
    _require_manager(by, proposal)
    if proposal.state != Proposal.State.AGENDA:
        raise InvalidTransition(_("Only a proposal on the agenda is put to the vote."), code="not_on_agenda")
    if kind not in VoteKind.values:
        raise InvalidInput(_("Choose the kind of vote."), code="bad_kind", field="kind")
    if kind == VoteKind.OWNERS and matter not in Matter.values:
        raise InvalidInput(_("Choose the matter (Civil Code art. 278)."), code="matter_required", field="matter")
    question = (question or "").strip()
    if not question or len(question) > 200:
        raise InvalidInput(
            _("Write the question (at most 200 characters)."), code="question_required", field="question"
        )
    if not buildings:
        raise InvalidInput(_("Choose the buildings whose owners vote."), code="buildings_required", field="buildings")
    code = proposal.community.code
    if any(not b.grid.code.startswith(code) for b in buildings):
        raise InvalidInput(_("Every building must be in the proposal's community."), code="outside", field="buildings")
    if closes_at <= opens_at:
        raise InvalidInput(_("The vote must close after it opens."), code="bad_times", field="closes_at")
    vote = Vote.objects.create(
        proposal=proposal,
        kind=kind,
        matter=matter if kind == VoteKind.OWNERS else "",
        question=question,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=by,
    )
    vote.buildings.set(buildings)
    _log(proposal, "vote_create", by, question)
    return vote


def _owners_roll(dwellings: QuerySet[Dwelling]) -> list[tuple[int, list[int], int, int]]:
    """(dwelling, its owners, its owner number, its area in hundredths of a m²) for every dwelling."""
    missing = dwellings.filter(area__isnull=True)
    if missing.exists():
        examples = "、".join(str(d) for d in missing.select_related("building")[:3])
        raise InvalidTransition(
            _("%(n)s dwellings have no exclusive floor area in the base (e.g. %(examples)s): record them first.")
            % {"n": missing.count(), "examples": examples},
            code="area_missing",
        )
    owners: dict[int, list[int]] = {d: [] for d in dwellings.values_list("pk", flat=True)}
    rows = current_residences().filter(dwelling__in=dwellings, role=OWNER, person__merged_into__isnull=True)
    for dwelling_id, person_id in rows.values_list("dwelling_id", "person_id").order_by("dwelling_id", "person_id"):
        if person_id not in owners[dwelling_id]:
            owners[dwelling_id].append(person_id)
    units = civil_code.owner_units(owners)
    areas = dict(dwellings.values_list("pk", "area"))
    return [(pk, owners[pk], units[pk], int((areas[pk] or 0) * 100)) for pk in sorted(owners)]


@transaction.atomic
def open_vote(vote: Vote, *, by: User) -> Vote:
    """Take the roll and open the vote (see the module's rules)."""
    vote = Vote.objects.select_for_update(of=("self",)).select_related("proposal__community").get(pk=vote.pk)
    _require_manager(by, vote.proposal)
    if vote.state != Vote.State.DRAFT:
        raise InvalidTransition(_("Only a draft vote can be opened."), code="not_draft")
    if vote.closes_at <= clock.now():
        raise InvalidTransition(_("The closing time has passed; set a new vote."), code="too_late")
    dwellings = Dwelling.objects.filter(building__in=vote.buildings.all())
    voters_through = RollEntry.voters.through
    if vote.kind == VoteKind.OWNERS:
        roll = _owners_roll(dwellings)
        entries = RollEntry.objects.bulk_create(
            [RollEntry(vote=vote, dwelling_id=pk, weight=weight, unit=unit) for pk, _o, unit, weight in roll]
        )
        links = [
            voters_through(rollentry_id=e.pk, person_id=p)
            for e, (_pk, people, _u, _w) in zip(entries, roll, strict=True)
            for p in people
        ]
    else:
        people = sorted(
            set(
                current_residences()
                .filter(dwelling__in=dwellings, person__merged_into__isnull=True)
                .values_list("person_id", flat=True)
            )
        )
        entries = RollEntry.objects.bulk_create([RollEntry(vote=vote, unit=i + 1) for i in range(len(people))])
        links = [voters_through(rollentry_id=e.pk, person_id=p) for e, p in zip(entries, people, strict=True)]
    if not entries or not links:
        raise InvalidTransition(_("Nobody in these buildings could vote."), code="empty_roll")
    voters_through.objects.bulk_create(links)
    vote.state, vote.opened_at = Vote.State.OPEN, clock.now()
    vote.save(update_fields=["state", "opened_at"])
    _log(vote.proposal, "vote_open", by, f"{len(entries)}")
    audit.record("write", actor=by, target=vote, detail={"action": "open_vote", "roll": len(entries)})
    return vote


def _delegation_in_force(entry: RollEntry) -> Delegation | None:
    return entry.delegations.filter(revoked_at__isnull=True).first()


def castable(vote: Vote, person: Person | None) -> list[tuple[RollEntry, Delegation | None]]:
    """The roll entries this person may cast now: their own without a delegation in force, and those delegated to
    them; none already cast."""
    if person is None or vote.state != Vote.State.OPEN:
        return []
    entries = (
        RollEntry.objects.filter(vote=vote, ballot__isnull=True)
        .filter(Q(voters=person) | Q(delegations__delegate=person, delegations__revoked_at__isnull=True))
        .select_related("dwelling__building")
        .distinct()
        .order_by("pk")
    )
    out = []
    for entry in entries:
        delegation = _delegation_in_force(entry)
        if delegation is None or delegation.delegate_id == person.pk:
            out.append((entry, delegation))
    return out


def own_entries(vote: Vote, person: Person | None) -> list[RollEntry]:
    if person is None:
        return []
    return list(RollEntry.objects.filter(vote=vote, voters=person).select_related("dwelling__building").order_by("pk"))


def entry_of(vote: Vote, entry_id: object) -> RollEntry:
    """The roll entry of this vote (NotFound otherwise)."""
    text = str(entry_id)
    entry = RollEntry.objects.filter(vote=vote, pk=int(text)).first() if text.isdigit() else None
    if entry is None:
        raise NotFound()
    return entry


def _require_open(vote: Vote) -> None:
    now = clock.now()
    if vote.state != Vote.State.OPEN or not (vote.opens_at <= now < vote.closes_at):
        raise InvalidTransition(_("The vote is not open now."), code="not_open")


@transaction.atomic
def delegate(vote: Vote, *, by: User, entry: RollEntry, to: Person) -> Delegation:
    """An owner on the entry delegates its ballot to a member of their household; staff record a paper
    delegation (委托书) to anyone (``by`` a manager: the owner is the entry's first owner unless given)."""
    vote = Vote.objects.select_for_update(of=("self",)).select_related("proposal__community").get(pk=vote.pk)
    _require_open(vote)
    if hasattr(entry, "ballot"):
        raise InvalidTransition(_("This ballot has already been cast."), code="already_cast")
    me = scopes.person_for(by)
    voters = list(entry.voters.all())
    if me is not None and me in voters:
        owner = me
        if to not in timebank.family_of(me):
            raise PermissionDenied(
                _("Online you may delegate to a member of your household; other delegations go through the community."),
                code="not_family",
            )
    elif scopes.manages(by, vote.proposal.community) and voters:
        owner = voters[0]
    else:
        raise PermissionDenied(_("You may not delegate this ballot."), code="not_a_voter")
    if to == owner:
        raise InvalidInput(_("Delegate to someone else."), code="self", field="delegate")
    if _delegation_in_force(entry) is not None:
        raise InvalidTransition(_("A delegation is already in force; revoke it first."), code="delegated")
    delegation = Delegation.objects.create(vote=vote, entry=entry, owner=owner, delegate=to, recorded_by=by)
    _log(vote.proposal, "delegate", by)
    return delegation


@transaction.atomic
def revoke(delegation: Delegation, *, by: User) -> Delegation:
    vote = Vote.objects.select_for_update(of=("self",)).select_related("proposal__community").get(pk=delegation.vote_id)
    _require_open(vote)
    if hasattr(delegation.entry, "ballot"):
        raise InvalidTransition(_("This ballot has already been cast."), code="already_cast")
    if scopes.person_for(by) != delegation.owner and not scopes.manages(by, vote.proposal.community):
        raise PermissionDenied(_("You may not revoke this delegation."), code="not_allowed")
    if delegation.revoked_at is not None:
        raise InvalidTransition(_("Already revoked."), code="revoked")
    delegation.revoked_at = clock.now()
    delegation.save(update_fields=["revoked_at"])
    _log(vote.proposal, "revoke_delegation", by)
    return delegation


def _cast(vote: Vote, entry: RollEntry, choice: str, person: Person, by: User, **extra: object) -> Ballot:
    if choice not in Choice.values:
        raise InvalidInput(_("Choose for, against or abstain."), code="bad_choice", field="choice")
    try:
        with transaction.atomic():
            ballot = Ballot.objects.create(vote=vote, entry=entry, choice=choice, cast_by=person, **extra)
    except IntegrityError as e:
        raise InvalidTransition(_("This ballot has already been cast."), code="already_cast") from e
    _log(vote.proposal, "ballot", by, f"{vote.pk}")  # which vote, never the choice
    points.joined_deliberation(person=person, proposal=vote.proposal)
    return ballot


@transaction.atomic
def cast(vote: Vote, *, by: User, entry: RollEntry, choice: str) -> Ballot:
    """The resident casts the entry's ballot (see the module's rules)."""
    vote = Vote.objects.select_for_update(of=("self",)).select_related("proposal__community").get(pk=vote.pk)
    _require_open(vote)
    me = scopes.person_for(by)
    allowed = {e.pk: d for e, d in castable(vote, me)}
    if me is None or entry.pk not in allowed:
        if hasattr(entry, "ballot") and me is not None:
            raise InvalidTransition(_("This ballot has already been cast."), code="already_cast")
        raise PermissionDenied(_("You may not cast this ballot."), code="not_a_voter")
    return _cast(vote, entry, choice, me, by, delegation=allowed[entry.pk])


@transaction.atomic
def record_paper(vote: Vote, *, by: User, entry: RollEntry, choice: str, cast_by: Person) -> Ballot:
    """Staff enter a paper ballot signed by one of the entry's owners or by its delegate."""
    vote = Vote.objects.select_for_update(of=("self",)).select_related("proposal__community").get(pk=vote.pk)
    _require_manager(by, vote.proposal)
    _require_open(vote)
    delegation = _delegation_in_force(entry)
    signers = [delegation.delegate] if delegation else list(entry.voters.all())
    if cast_by not in signers:
        raise InvalidInput(_("The ballot must be signed by the owner or the delegate."), code="bad_signer")
    ballot = _cast(
        vote, entry, choice, cast_by, by, delegation=delegation, channel=Ballot.Channel.PAPER, recorded_by=by
    )
    return ballot


def current_tally(vote: Vote) -> civil_code.Tally:
    rows = RollEntry.objects.filter(vote=vote).values_list("weight", "unit", "ballot__choice")
    return civil_code.tally(civil_code.Cast(w, u, c) for w, u, c in rows)


@transaction.atomic
def close(vote: Vote, *, by: User | None) -> Vote:
    """Fix the tally and the result. Staff close a vote whose closing time has passed; the sweep (``by`` None)
    closes those still open after it."""
    vote = Vote.objects.select_for_update(of=("self",)).select_related("proposal__community").get(pk=vote.pk)
    if by is not None:
        _require_manager(by, vote.proposal)
    if vote.state != Vote.State.OPEN:
        raise InvalidTransition(_("Only an open vote can be closed."), code="not_open")
    if clock.now() < vote.closes_at:
        raise InvalidTransition(_("The vote closes at its closing time."), code="too_early")
    t = current_tally(vote)
    for name in civil_code.Tally.__dataclass_fields__:
        setattr(vote, name, getattr(t, name))
    if vote.kind == VoteKind.OWNERS:
        vote.quorum = civil_code.quorum(t)
        vote.passed = civil_code.carried(t, major=vote.major)
    else:
        vote.quorum = t.part_heads > 0
        vote.passed = civil_code.carried_by_residents(t)
    vote.state, vote.closed_at = Vote.State.CLOSED, clock.now()
    vote.save()
    _log(vote.proposal, "vote_close", by, _("carried") if vote.passed else _("not carried"))
    audit.record("write", actor=by, target=vote, detail={"action": "close_vote", "passed": vote.passed})
    return vote


def close_due(*, now: datetime | None = None) -> int:
    """Close every open vote past its closing time (the periodic sweep)."""
    due = Vote.objects.filter(state=Vote.State.OPEN, closes_at__lte=now or clock.now()).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        try:
            close(Vote(pk=pk), by=None)
            count += 1
        except InvalidTransition:  # closed meanwhile by staff
            continue
    return count
