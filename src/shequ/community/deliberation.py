"""Deliberation (议事协商): proposals, support, the moderated thread, meetings, decisions and their follow-up.
Votes are in ``voting``.

Rules:
- Residents raise proposals in their home communities, property companies in the communities of the buildings
  they manage, staff in the communities they manage. Phone numbers stay out of proposals and posts.
- Residents of the community support a proposal once each; at ``support_needed`` supports it goes on the agenda
  by itself; a manager may also put it there.
- Residents, the property company and staff post in an open proposal's thread. A post reported by
  ``SHEQU_MODERATION_HOLD_REPORTS`` people is held until a manager hides it (with a reason, kept) or restores it.
- Managers schedule meetings and record their minutes, and conclude a proposal: decided (a decision with a
  responsible person, a due date and follow-ups residents may watch until it is done) or not adopted.
- Supporting, posting and voting earn "joining deliberation" points, once per proposal.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied
from shequ.geo.models import Region, RegionLevel

from . import points, scopes, texts
from .models import (
    Decision,
    FollowUp,
    Meeting,
    Post,
    PostReport,
    Proposal,
    ProposalEntry,
    RaisedAs,
    Support,
    Vote,
    Watch,
)


def _log(proposal: Proposal, action: str, by: User | None, note: str = "") -> None:
    ProposalEntry.objects.create(proposal=proposal, action=action, actor=by, note=note[:300])


def voice_of(user: User, community: Region) -> str | None:
    """How the user speaks in the community's deliberation, or None when they have no say there."""
    if scopes.manages(user, community) or (user.is_staff_role and scopes.covers(user, community)):
        return RaisedAs.COMMUNITY
    if scopes.is_property(user) and community.code in scopes.property_community_codes(user):
        return RaisedAs.PROPERTY
    if scopes.lives_in(scopes.person_for(user), community):
        return RaisedAs.RESIDENT
    return None


def _lock(proposal: Proposal) -> Proposal:
    return Proposal.objects.select_for_update(of=("self",)).select_related("community").get(pk=proposal.pk)


def _require_manager(by: User, proposal: Proposal) -> None:
    if not scopes.manages(by, proposal.community):
        raise PermissionDenied(_("Only the community's staff may do this."), code="not_a_manager")


@transaction.atomic
def raise_proposal(*, by: User, community: Region, title: str, body: str) -> Proposal:
    if community.level != RegionLevel.COMMUNITY:
        raise InvalidInput(_("Choose a community."), code="community_required", field="community")
    voice = voice_of(by, community)
    if voice is None or (voice == RaisedAs.COMMUNITY and not scopes.manages(by, community)):
        raise PermissionDenied(_("You may not raise proposals in this community."), code="no_say")
    title = texts.required(title, field="title", limit=80, message=_("Give the proposal a title."))
    body = texts.required(body, field="body", limit=5000, message=_("Describe the proposal."))
    texts.refuse_phone(title, field="title")
    texts.refuse_phone(body, field="body")
    proposal = Proposal.objects.create(
        community=community,
        title=title,
        body=body,
        raised_by=by,
        raised_as=voice,
        unit=by.unit if voice == RaisedAs.PROPERTY else None,
        support_needed=max(1, settings.SHEQU_PROPOSAL_SUPPORT),
    )
    _log(proposal, "raise", by)
    return proposal


def _to_agenda(proposal: Proposal, by: User | None, note: str) -> None:
    proposal.state, proposal.agenda_at = Proposal.State.AGENDA, clock.now()
    proposal.save(update_fields=["state", "agenda_at"])
    _log(proposal, "agenda", by, note)


@transaction.atomic
def support(proposal: Proposal, *, by: User) -> Proposal:
    """A resident of the community supports the proposal (once); enough support puts it on the agenda."""
    proposal = _lock(proposal)
    person = scopes.person_for(by)
    if person is None or not scopes.lives_in(person, proposal.community):
        raise PermissionDenied(_("Only residents of the community may support proposals."), code="no_say")
    if not proposal.is_open:
        raise InvalidTransition(_("This proposal is closed."), code="closed")
    try:
        with transaction.atomic():
            Support.objects.create(proposal=proposal, person=person)
    except IntegrityError as e:
        raise InvalidTransition(_("You already support this proposal."), code="already_supported") from e
    Proposal.objects.filter(pk=proposal.pk).update(support_count=F("support_count") + 1)
    proposal.refresh_from_db(fields=["support_count"])
    _log(proposal, "support", by)
    if proposal.state == Proposal.State.RAISED and proposal.support_count >= proposal.support_needed:
        _to_agenda(proposal, None, _("enough support"))
    points.joined_deliberation(person=person, proposal=proposal)
    return proposal


@transaction.atomic
def put_on_agenda(proposal: Proposal, *, by: User, note: str = "") -> Proposal:
    proposal = _lock(proposal)
    _require_manager(by, proposal)
    if proposal.state != Proposal.State.RAISED:
        raise InvalidTransition(_("Only a proposal gathering support goes on the agenda."), code="not_raised")
    _to_agenda(proposal, by, note or _("put on the agenda by the community"))
    return proposal


@transaction.atomic
def withdraw(proposal: Proposal, *, by: User) -> Proposal:
    proposal = _lock(proposal)
    if proposal.raised_by_id != by.pk:
        raise PermissionDenied(_("Only whoever raised it may withdraw it."), code="not_raiser")
    if not proposal.is_open or proposal.votes.exclude(state=Vote.State.DRAFT).exists():
        raise InvalidTransition(_("A proposal that was voted on stays."), code="closed")
    proposal.state, proposal.closed_at = Proposal.State.WITHDRAWN, clock.now()
    proposal.save(update_fields=["state", "closed_at"])
    _log(proposal, "withdraw", by)
    return proposal


# --- the thread -----------------------------------------------------------------------------------------------


@transaction.atomic
def post(proposal: Proposal, *, by: User, body: str) -> Post:
    proposal = _lock(proposal)
    voice = voice_of(by, proposal.community)
    if voice is None:
        raise PermissionDenied(_("You have no say in this community."), code="no_say")
    if not proposal.is_open:
        raise InvalidTransition(_("The discussion of this proposal is closed."), code="closed")
    body = texts.required(body, field="body", limit=2000, message=_("Write your message."))
    texts.refuse_phone(body, field="body")
    message = Post.objects.create(proposal=proposal, author=by, voice=voice, body=body)
    _log(proposal, "post", by, f"#{message.pk}")
    person = scopes.person_for(by)
    if voice == RaisedAs.RESIDENT and person is not None:
        points.joined_deliberation(person=person, proposal=proposal)
    return message


@transaction.atomic
def report_post(message: Post, *, by: User, reason: str) -> Post:
    """Anyone with a say in the community reports a post (once); enough reports hold it for a moderator."""
    message = Post.objects.select_for_update(of=("self",)).select_related("proposal__community").get(pk=message.pk)
    if voice_of(by, message.proposal.community) is None or message.author_id == by.pk:
        raise PermissionDenied(_("You may not report this post."), code="not_allowed")
    reason = texts.required(reason, field="reason", limit=200, message=_("Say what is wrong with it."))
    try:
        with transaction.atomic():
            PostReport.objects.create(post=message, reporter=by, reason=reason)
    except IntegrityError as e:
        raise InvalidTransition(_("You have already reported this post."), code="already_reported") from e
    message.reports += 1
    if message.state == Post.State.VISIBLE and message.reports >= settings.SHEQU_MODERATION_HOLD_REPORTS:
        message.state = Post.State.HELD
    message.save(update_fields=["reports", "state"])
    _log(message.proposal, "hold_post" if message.state == Post.State.HELD else "report_post", by, f"#{message.pk}")
    return message


@transaction.atomic
def moderate_post(message: Post, *, by: User, hide: bool, note: str = "") -> Post:
    """Hide a post (the reason is kept and shown to its author) or restore it (its reports are set aside)."""
    message = Post.objects.select_for_update(of=("self",)).select_related("proposal__community").get(pk=message.pk)
    _require_manager(by, message.proposal)
    note = (note or "").strip()[:200]
    if hide and not note:
        raise InvalidInput(_("Give the reason for hiding it."), code="reason_required", field="note")
    message.state = Post.State.HIDDEN if hide else Post.State.VISIBLE
    if not hide:
        message.reports = 0
    message.moderated_by, message.moderated_at, message.moderation_note = by, clock.now(), note
    message.save()
    _log(message.proposal, "hide_post" if hide else "restore_post", by, note)
    audit.record("write", actor=by, target=message, purpose=note, detail={"action": "moderate", "hide": hide})
    return message


# --- meetings, conclusions, decisions ---------------------------------------------------------------------------


@transaction.atomic
def schedule_meeting(proposal: Proposal, *, by: User, starts_at: datetime, place: str) -> Meeting:
    proposal = _lock(proposal)
    _require_manager(by, proposal)
    if not proposal.is_open:
        raise InvalidTransition(_("This proposal is closed."), code="closed")
    place = texts.required(place, field="place", limit=120, message=_("Say where the meeting is."))
    meeting = Meeting.objects.create(proposal=proposal, starts_at=starts_at, place=place, created_by=by)
    _log(proposal, "meeting", by, place)
    return meeting


@transaction.atomic
def record_minutes(meeting: Meeting, *, by: User, minutes: str, attendance: int | None) -> Meeting:
    meeting = Meeting.objects.select_for_update(of=("self",)).select_related("proposal__community").get(pk=meeting.pk)
    _require_manager(by, meeting.proposal)
    if meeting.starts_at > clock.now():
        raise InvalidTransition(_("Minutes are recorded after the meeting."), code="not_yet")
    meeting.minutes = texts.required(minutes, field="minutes", limit=20_000, message=_("Write the minutes."))
    if attendance is not None and attendance < 0:
        raise InvalidInput(_("Attendance cannot be negative."), code="bad_attendance", field="attendance")
    meeting.attendance, meeting.recorded_by, meeting.recorded_at = attendance, by, clock.now()
    meeting.save()
    _log(meeting.proposal, "minutes", by)
    return meeting


def may_own(user: User, community: Region) -> bool:
    """Who may be responsible for a decision: staff covering the community, or its property company."""
    return (user.is_staff_role and scopes.covers(user, community) and not user.sees_everything) or (
        scopes.is_property(user) and community.code in scopes.property_community_codes(user)
    )


@transaction.atomic
def decide(
    proposal: Proposal, *, by: User, text: str, owner: User, due: date | None = None, vote: Vote | None = None
) -> Decision:
    """Conclude a proposal with a decision: what, who sees it done, by when."""
    proposal = _lock(proposal)
    _require_manager(by, proposal)
    if not proposal.is_open and proposal.state != Proposal.State.DECIDED:
        raise InvalidTransition(_("This proposal is closed."), code="closed")
    if not may_own(owner, proposal.community):
        raise InvalidInput(
            _("The responsible person must be staff of the community or its property company."),
            code="bad_owner",
            field="owner",
        )
    if vote is not None and (vote.proposal_id != proposal.pk or vote.state != Vote.State.CLOSED or not vote.passed):
        raise InvalidInput(_("Only a carried vote of this proposal backs a decision."), code="bad_vote", field="vote")
    text = texts.required(text, field="text", limit=2000, message=_("Write the decision."))
    decision = Decision.objects.create(proposal=proposal, vote=vote, text=text, owner=owner, due=due, created_by=by)
    proposal.state, proposal.closed_at = Proposal.State.DECIDED, clock.now()
    proposal.save(update_fields=["state", "closed_at"])
    _log(proposal, "decide", by, text)
    audit.record("write", actor=by, target=decision, detail={"action": "decide"})
    return decision


@transaction.atomic
def reject(proposal: Proposal, *, by: User, note: str) -> Proposal:
    proposal = _lock(proposal)
    _require_manager(by, proposal)
    if not proposal.is_open:
        raise InvalidTransition(_("This proposal is closed."), code="closed")
    note = texts.required(note, field="note", limit=300, message=_("Give the reason."))
    proposal.state, proposal.closed_at = Proposal.State.REJECTED, clock.now()
    proposal.save(update_fields=["state", "closed_at"])
    _log(proposal, "reject", by, note)
    return proposal


@transaction.atomic
def follow_up(decision: Decision, *, by: User, note: str, state: str) -> FollowUp:
    """The responsible person (or a manager) reports progress; "done" closes the decision."""
    decision = (
        Decision.objects.select_for_update(of=("self",)).select_related("proposal__community").get(pk=decision.pk)
    )
    if decision.owner_id != by.pk and not scopes.manages(by, decision.proposal.community):
        raise PermissionDenied(_("Only the responsible person reports progress."), code="not_owner")
    if decision.state == Decision.State.DONE:
        raise InvalidTransition(_("This decision is done."), code="done")
    if state not in Decision.State.values:
        raise InvalidInput(_("Choose the state."), code="bad_state", field="state")
    note = texts.required(note, field="note", limit=2000, message=_("Say what was done."))
    entry = FollowUp.objects.create(decision=decision, by=by, note=note, state=state)
    decision.state = state
    decision.done_at = clock.now() if state == Decision.State.DONE else None
    decision.save(update_fields=["state", "done_at"])
    _log(decision.proposal, "follow_up", by, note)
    return entry


@transaction.atomic
def watch(decision: Decision, *, by: User, on: bool = True) -> bool:
    """A resident of the community follows (or stops following) a decision until it is done."""
    person = scopes.person_for(by)
    if person is None or not scopes.lives_in(person, decision.proposal.community):
        raise PermissionDenied(_("Only residents of the community may follow it."), code="no_say")
    if on:
        Watch.objects.get_or_create(decision=decision, person=person)
    else:
        Watch.objects.filter(decision=decision, person=person).delete()
    return on
