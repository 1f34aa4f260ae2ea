"""Resident pages of deliberation: proposals and their thread, support, votes (with delegation), decisions."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import deliberation, queries, scopes, timebank, voting
from .forms import PostForm, ProposalForm, ReportForm, communities_for_resident
from .models import Ballot, Post, Proposal, Support, Vote
from .viewkit import attempt, found, on_form, page_of, resident_required


@require_GET
@resident_required
def proposal_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    qs = queries.proposals_for_resident(request.user)
    if state == "open":
        qs = qs.filter(state__in=[Proposal.State.RAISED, Proposal.State.AGENDA])
    elif state in Proposal.State.values:
        qs = qs.filter(state=state)
    return render(
        request,
        "community/portal/proposals.html",
        {"page": page_of(request, qs.order_by("-created_at", "-pk")), "state": state, "states": Proposal.State.choices},
    )


@require_http_methods(["GET", "POST"])
@resident_required
def proposal_new(request: HttpRequest) -> HttpResponse:
    form = ProposalForm(request.POST or None, communities=communities_for_resident(request.user))
    if request.method == "POST" and form.is_valid():
        done = on_form(form, lambda: deliberation.raise_proposal(by=request.user, **form.cleaned_data))
        if done is not None:
            messages.success(request, _("Raised. Neighbours can support it now."))
            return redirect("community_portal:proposal", pk=done.pk)
    return render(request, "community/portal/proposal_form.html", {"form": form}, status=400 if form.errors else 200)


def _posts(proposal: Proposal, user) -> list[dict]:  # type: ignore[no-untyped-def]
    """The thread as residents see it: hidden and held posts only to their authors, names masked."""
    rows = []
    for p in proposal.posts.select_related("author").order_by("created_at", "pk"):
        if p.state != Post.State.VISIBLE and p.author_id != user.pk:
            continue
        person = getattr(p.author, "person", None)
        rows.append({"post": p, "name": queries.neighbour_name(person) if person else p.get_voice_display()})
    return rows


@require_GET
@resident_required
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = found(queries.get_proposal_for_resident, request.user, pk)
    person = scopes.person_for(request.user)
    return render(
        request,
        "community/portal/proposal.html",
        {
            "proposal": proposal,
            "posts": _posts(proposal, request.user),
            "supported": person is not None and Support.objects.filter(proposal=proposal, person=person).exists(),
            "may_support": scopes.lives_in(person, proposal.community),
            "meetings": proposal.meetings.all(),
            "votes": proposal.votes.exclude(state=Vote.State.DRAFT),
            "decisions": proposal.decisions.all(),
            "form": PostForm(),
            "report_form": ReportForm(),
        },
    )


@require_POST
@resident_required
def proposal_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    proposal = found(queries.get_proposal_for_resident, request.user, pk)
    if action == "support":
        attempt(request, lambda: deliberation.support(proposal, by=request.user), _("Thank you for your support."))
    elif action == "post":
        form = PostForm(request.POST)
        if form.is_valid():
            attempt(request, lambda: deliberation.post(proposal, by=request.user, body=form.cleaned_data["body"]))
        else:
            messages.error(request, _("Write your message."))
    elif action == "withdraw":
        attempt(request, lambda: deliberation.withdraw(proposal, by=request.user), _("Withdrawn."))
    else:
        raise Http404
    return redirect("community_portal:proposal", pk=proposal.pk)


@require_POST
@resident_required
def post_report(request: HttpRequest, pk: int) -> HttpResponse:
    message = Post.objects.filter(pk=pk, proposal__in=queries.proposals_for_resident(request.user)).first()
    if message is None or (message.state != Post.State.VISIBLE and message.author_id != request.user.pk):
        raise Http404
    form = ReportForm(request.POST)
    if form.is_valid():
        attempt(
            request,
            lambda: deliberation.report_post(message, by=request.user, reason=form.cleaned_data["reason"]),
            _("Reported: a moderator will look at it."),
        )
    else:
        messages.error(request, _("Say what is wrong with it."))
    return redirect("community_portal:proposal", pk=message.proposal_id)


def _vote_context(request: HttpRequest, vote: Vote) -> dict:
    person = scopes.person_for(request.user)
    rows = []
    for entry in voting.own_entries(vote, person):
        delegation = entry.delegations.filter(revoked_at__isnull=True).select_related("delegate", "owner").first()
        ballot = Ballot.objects.filter(entry=entry).select_related("cast_by").first()
        rows.append(
            {
                "entry": entry,
                "ballot": ballot,
                "cast_by": queries.neighbour_name(ballot.cast_by) if ballot else "",
                "delegation": delegation,
                "delegate": queries.neighbour_name(delegation.delegate) if delegation else "",
                "revocable": delegation is not None and delegation.owner_id == getattr(person, "pk", None),
            }
        )
    return {
        "vote": vote,
        "proposal": vote.proposal,
        "castable": voting.castable(vote, person),
        "rows": rows,
        "family": [(p.pk, queries.neighbour_name(p)) for p in timebank.family_of(person)] if person else [],
    }


@require_GET
@resident_required
def vote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    vote = found(queries.get_vote_for_resident, request.user, pk)
    return render(request, "community/portal/vote.html", _vote_context(request, vote))


@require_POST
@resident_required
def vote_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    vote = found(queries.get_vote_for_resident, request.user, pk)
    entry = found(voting.entry_of, vote, request.POST.get("entry", ""))
    if action == "cast":
        choice = request.POST.get("choice", "")
        attempt(request, lambda: voting.cast(vote, by=request.user, entry=entry, choice=choice), _("Your vote is in."))
    elif action == "delegate":
        person = scopes.person_for(request.user)
        members = {str(p.pk): p for p in timebank.family_of(person)} if person else {}
        to = members.get(request.POST.get("delegate", ""))
        if to is None:
            messages.error(request, _("Choose a member of your household."))
        else:
            attempt(request, lambda: voting.delegate(vote, by=request.user, entry=entry, to=to), _("Delegated."))
    elif action == "revoke":
        delegation = entry.delegations.filter(revoked_at__isnull=True).first()
        if delegation is None:
            raise Http404
        attempt(request, lambda: voting.revoke(delegation, by=request.user), _("Delegation revoked."))
    else:
        raise Http404
    return redirect("community_portal:vote", pk=vote.pk)


@require_GET
@resident_required
def decision_list(request: HttpRequest) -> HttpResponse:
    qs = queries.decisions_for_resident(request.user).order_by("state", "-created_at")
    return render(request, "community/portal/decisions.html", {"page": page_of(request, qs)})


@require_GET
@resident_required
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    decision = found(queries.get_decision_for_resident, request.user, pk)
    return render(
        request,
        "community/portal/decision.html",
        {"decision": decision, "follow_ups": decision.follow_ups.all(), "watched": getattr(decision, "watched", False)},
    )


@require_POST
@resident_required
def decision_watch(request: HttpRequest, pk: int) -> HttpResponse:
    decision = found(queries.get_decision_for_resident, request.user, pk)
    on = request.POST.get("on", "1") == "1"
    attempt(
        request,
        lambda: deliberation.watch(decision, by=request.user, on=on),
        _("You follow it now.") if on else _("You no longer follow it."),
    )
    return redirect("community_portal:decision", pk=decision.pk)
