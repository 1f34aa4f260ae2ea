"""Workbench pages of deliberation: proposals (raised by staff or the property company too), the thread and its
moderation, meetings and minutes, votes (roll, paper ballots and delegations, closing and the published tally),
decisions and their follow-up. Property companies see the proposals of their communities."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.access.decorators import staff_required
from shequ.access.models import Role, User
from shequ.geo.models import Building, Region
from shequ.registry.queries import get_person_unmasked_for

from . import deliberation, queries, scopes, voting
from .forms import (
    DecisionForm,
    FollowUpForm,
    MeetingForm,
    MinutesForm,
    PaperBallotForm,
    PostForm,
    ProposalForm,
    VoteForm,
)
from .models import Decision, Listing, Meeting, Post, Proposal, Vote, VoteKind
from .viewkit import attempt, found, on_form, page_of


def with_property(view):  # type: ignore[no-untyped-def]
    return staff_required(view, also=(Role.PROPERTY_COMPANY,))


@require_GET
@with_property
def proposal_list(request: HttpRequest) -> HttpResponse:
    qs = queries.proposals_for(request.user)
    state = request.GET.get("state", "")
    if state in Proposal.State.values:
        qs = qs.filter(state=state)
    q = (request.GET.get("q") or "").strip()[:40]
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(body__icontains=q))
    return render(
        request,
        "community/staff/proposals.html",
        {
            "page": page_of(request, qs.order_by("-created_at", "-pk"), 25),
            "state": state,
            "q": q,
            "states": Proposal.State.choices,
        },
    )


def _raise_communities(user: User):  # type: ignore[no-untyped-def]
    if scopes.is_property(user):
        return Region.objects.filter(code__in=scopes.property_community_codes(user)).order_by("code")
    return scopes.managed_communities(user)


@require_http_methods(["GET", "POST"])
@with_property
def proposal_new(request: HttpRequest) -> HttpResponse:
    form = ProposalForm(request.POST or None, communities=_raise_communities(request.user))
    if request.method == "POST" and form.is_valid():
        done = on_form(form, lambda: deliberation.raise_proposal(by=request.user, **form.cleaned_data))
        if done is not None:
            messages.success(request, _("Proposal raised."))
            return redirect("community:proposal", pk=done.pk)
    return render(request, "community/staff/proposal_form.html", {"form": form}, status=400 if form.errors else 200)


def _owners(proposal: Proposal):  # type: ignore[no-untyped-def]
    """Who may be made responsible: staff whose area covers the community, and its property companies."""
    code = proposal.community.code
    prefixes = [code[:n] for n in (6, 9, 12)]
    staff = Q(
        role__in=[Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_DISPATCHER], region__code__in=prefixes
    )
    workers = Q(role=Role.GRID_WORKER, region__code__startswith=code)
    units = Building.objects.filter(grid__code__startswith=code, managed_by__isnull=False).values("managed_by")
    company = Q(role=Role.PROPERTY_COMPANY, unit__in=units)
    return User.objects.filter(staff | workers | company, is_active=True).order_by("role", "username")


@require_GET
@with_property
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = found(queries.get_proposal_for, request.user, pk)
    manages = scopes.manages(request.user, proposal.community)
    posts = list(proposal.posts.select_related("author"))
    votes = proposal.votes.all()
    return render(
        request,
        "community/staff/proposal.html",
        {
            "proposal": proposal,
            "posts": posts,
            "manages": manages,
            "meetings": proposal.meetings.all(),
            "votes": votes,
            "decisions": proposal.decisions.select_related("owner"),
            "timeline": proposal.timeline.select_related("actor"),
            "post_form": PostForm(),
            "meeting_form": MeetingForm(),
            "minutes_form": MinutesForm(),
            "decision_form": DecisionForm(
                owners=_owners(proposal), votes=votes.filter(state=Vote.State.CLOSED, passed=True)
            ),
        },
    )


@require_POST
@with_property
def proposal_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    proposal = found(queries.get_proposal_for, request.user, pk)
    user = request.user
    if action == "agenda":
        attempt(request, lambda: deliberation.put_on_agenda(proposal, by=user), _("On the agenda."))
    elif action == "reject":
        note = request.POST.get("note", "")
        attempt(request, lambda: deliberation.reject(proposal, by=user, note=note), _("Closed: not adopted."))
    elif action == "post":
        form = PostForm(request.POST)
        if form.is_valid():
            attempt(request, lambda: deliberation.post(proposal, by=user, body=form.cleaned_data["body"]))
    elif action == "meeting":
        form = MeetingForm(request.POST)
        if form.is_valid():
            attempt(
                request, lambda: deliberation.schedule_meeting(proposal, by=user, **form.cleaned_data), _("Scheduled.")
            )
        else:
            messages.error(request, _("Give the time and the place."))
    elif action == "decide":
        form = DecisionForm(
            request.POST, owners=_owners(proposal), votes=proposal.votes.filter(state=Vote.State.CLOSED, passed=True)
        )
        if form.is_valid():
            attempt(request, lambda: deliberation.decide(proposal, by=user, **form.cleaned_data), _("Decided."))
        else:
            messages.error(request, _("Write the decision and choose who is responsible."))
    else:
        raise Http404
    return redirect("community:proposal", pk=proposal.pk)


@require_POST
@staff_required
def post_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    message = Post.objects.filter(pk=pk, proposal__in=queries.proposals_for(request.user)).first()
    if message is None:
        raise Http404
    hide = request.POST.get("hide") == "1"
    note = request.POST.get("note", "")
    attempt(
        request,
        lambda: deliberation.moderate_post(message, by=request.user, hide=hide, note=note),
        _("Hidden.") if hide else _("Restored."),
    )
    if request.POST.get("next") == "proposal":
        return redirect("community:proposal", pk=message.proposal_id)
    return redirect("community:moderation")


@require_POST
@staff_required
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = Meeting.objects.filter(pk=pk, proposal__in=queries.proposals_for(request.user)).first()
    if meeting is None:
        raise Http404
    form = MinutesForm(request.POST)
    if form.is_valid():
        attempt(
            request,
            lambda: deliberation.record_minutes(meeting, by=request.user, **form.cleaned_data),
            _("Minutes recorded and published."),
        )
    else:
        messages.error(request, _("Write the minutes."))
    return redirect("community:proposal", pk=meeting.proposal_id)


@require_GET
@staff_required
def moderation(request: HttpRequest) -> HttpResponse:
    """Held posts and listings of the area, oldest first."""
    proposals = queries.proposals_for(request.user)
    posts = Post.objects.filter(proposal__in=proposals, state=Post.State.HELD).select_related("proposal")
    listings = queries.listings_for(request.user).filter(state=Listing.State.HELD)
    return render(
        request,
        "community/staff/moderation.html",
        {"posts": posts.order_by("created_at")[:100], "listings": listings.order_by("updated_at")[:100]},
    )


# --- votes ----------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def vote_new(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = found(queries.get_proposal_for, request.user, pk)
    if not scopes.manages(request.user, proposal.community):
        raise Http404
    buildings = Building.objects.filter(grid__code__startswith=proposal.community.code).order_by("address")
    form = VoteForm(request.POST or None, buildings=buildings, initial={"question": proposal.title})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = on_form(
            form,
            lambda: voting.create(
                by=request.user,
                proposal=proposal,
                kind=data["kind"],
                matter=data["matter"],
                question=data["question"],
                buildings=list(data["buildings"]),
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
            ),
        )
        if done is not None:
            messages.success(request, _("Vote set: open it when ready (the roll is taken then)."))
            return redirect("community:vote", pk=done.pk)
    return render(
        request,
        "community/staff/vote_form.html",
        {"form": form, "proposal": proposal},
        status=400 if form.errors else 200,
    )


@require_GET
@with_property
def vote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    vote = found(queries.get_vote_for, request.user, pk)
    tally = voting.current_tally(vote) if vote.state != Vote.State.DRAFT else None
    return render(
        request,
        "community/staff/vote.html",
        {
            "vote": vote,
            "tally": tally,
            "manages": scopes.manages(request.user, vote.proposal.community),
            "roll": vote.roll.count(),
            "cast": vote.ballots.count(),
            "paper": vote.ballots.filter(channel="paper").count(),
            "delegations": vote.delegations.filter(revoked_at__isnull=True).count(),
            "paper_form": PaperBallotForm(),
            "is_owners": vote.kind == VoteKind.OWNERS,
        },
    )


@require_POST
@staff_required
def vote_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    vote = found(queries.get_vote_for, request.user, pk)
    user = request.user
    if action == "open":
        attempt(request, lambda: voting.open_vote(vote, by=user), _("Open: the roll is taken."))
    elif action == "close":
        attempt(request, lambda: voting.close(vote, by=user), _("Closed: the result is published."))
    elif action in ("paper", "delegate"):
        entry = found(voting.entry_of, vote, request.POST.get("entry", ""))
        person = found(get_person_unmasked_for, user, request.POST.get("signer") or request.POST.get("delegate"))
        if action == "paper":
            choice = request.POST.get("choice", "")
            attempt(
                request,
                lambda: voting.record_paper(vote, by=user, entry=entry, choice=choice, cast_by=person),
                _("Paper ballot entered."),
            )
        else:
            attempt(request, lambda: voting.delegate(vote, by=user, entry=entry, to=person), _("Delegation recorded."))
    else:
        raise Http404
    return redirect("community:vote", pk=vote.pk)


# --- decisions ------------------------------------------------------------------------------------------------


@require_GET
@with_property
def decision_list(request: HttpRequest) -> HttpResponse:
    qs = queries.decisions_for(request.user)
    if request.GET.get("mine"):
        qs = qs.filter(owner=request.user)
    state = request.GET.get("state", "")
    if state in Decision.State.values:
        qs = qs.filter(state=state)
    return render(
        request,
        "community/staff/decisions.html",
        {
            "page": page_of(request, qs.order_by("state", "due", "-pk"), 25),
            "state": state,
            "states": Decision.State.choices,
        },
    )


@require_http_methods(["GET", "POST"])
@with_property
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    decision = found(queries.get_decision_for, request.user, pk)
    form = FollowUpForm(request.POST or None, initial={"state": decision.state})
    if request.method == "POST" and form.is_valid():
        done = on_form(form, lambda: deliberation.follow_up(decision, by=request.user, **form.cleaned_data))
        if done is not None:
            messages.success(request, _("Progress recorded."))
            return redirect("community:decision", pk=decision.pk)
    may_report = decision.owner_id == request.user.pk or scopes.manages(request.user, decision.proposal.community)
    return render(
        request,
        "community/staff/decision.html",
        {
            "decision": decision,
            "follow_ups": decision.follow_ups.select_related("by"),
            "form": form,
            "may_report": may_report and decision.state != Decision.State.DONE,
            "watchers": decision.watchers.count(),
        },
        status=400 if form.errors else 200,
    )
