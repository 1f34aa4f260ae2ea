"""The community API's deliberation (议事协商): proposals, support, the thread and its reports, votes with ballots and
delegations, decisions and watching them. Mounted into ``api.router``; reads through ``queries`` (out of scope is a
404), writes through ``deliberation`` and ``voting``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from shequ.core.errors import InvalidInput, NotFound
from shequ.geo.models import Region, RegionLevel

from . import deliberation, queries, scopes, timebank, voting
from .api_common import PK, paged, region_ref, sqm
from .models import Post, Support, Vote
from .schemas import (
    BallotIn,
    BallotOut,
    DecisionOut,
    DelegateIn,
    DelegationOut,
    PageQuery,
    PostIn,
    ProposalDetail,
    ProposalIn,
    ProposalRow,
    ReasonIn,
    VoteOut,
    WatchIn,
)

router = Router(tags=["community"])


def _proposal_row(p: Any) -> dict:
    return {
        "id": p.pk,
        "title": p.title,
        "state": p.state,
        "state_label": str(p.get_state_display()),
        "raised_as": p.raised_as,
        "community": region_ref(p.community),
        "support_count": p.support_count,
        "support_needed": p.support_needed,
        "created_at": p.created_at,
    }


@router.get("/proposals", response=list[ProposalRow], summary="Proposals of your communities, newest first")
def list_proposals(request: HttpRequest, filters: Query[PageQuery]) -> list[dict]:
    qs = queries.proposals_for_resident(request.user).order_by("-created_at", "-pk")
    return [_proposal_row(p) for p in paged(qs, filters.page)[1]]


def _proposal_detail(request: HttpRequest, p: Any) -> dict:
    person = scopes.person_for(request.user)
    posts = []
    for post in p.posts.select_related("author").order_by("created_at", "pk"):
        own = post.author_id == request.user.pk
        author = getattr(post.author, "person", None)
        posts.append(
            {
                "id": post.pk,
                "author": queries.neighbour_name(author) if author else str(post.get_voice_display()),
                "voice": post.voice,
                "body": post.body if post.state == Post.State.VISIBLE or own else None,
                "state": post.state,
                "created_at": post.created_at,
            }
        )
    return {
        **_proposal_row(p),
        "body": p.body,
        "supported": person is not None and Support.objects.filter(proposal=p, person=person).exists(),
        "posts": posts,
        "votes": list(p.votes.exclude(state=Vote.State.DRAFT).values_list("pk", flat=True)),
        "decisions": list(p.decisions.values_list("pk", flat=True)),
    }


@router.post("/proposals", response={201: ProposalDetail}, summary="Raise a proposal in one of your communities")
def raise_proposal(request: HttpRequest, payload: ProposalIn) -> Status:
    community = Region.objects.filter(code=payload.community, level=RegionLevel.COMMUNITY).first()
    if community is None:
        raise InvalidInput(_("Unknown community."), code="unknown_community", field="community")
    p = deliberation.raise_proposal(by=request.user, community=community, title=payload.title, body=payload.body)
    return Status(201, _proposal_detail(request, p))


@router.get("/proposals/{id}", response=ProposalDetail, summary="One proposal with its discussion")
def get_proposal(request: HttpRequest, id: int = PK) -> dict:
    return _proposal_detail(request, queries.get_proposal_for_resident(request.user, id))


@router.post("/proposals/{id}/support", response=ProposalDetail, summary="Support a proposal (once)")
def support(request: HttpRequest, id: int = PK) -> dict:
    p = deliberation.support(queries.get_proposal_for_resident(request.user, id), by=request.user)
    return _proposal_detail(request, p)


@router.post("/proposals/{id}/posts", response={201: ProposalDetail}, summary="Post in a proposal's discussion")
def post(request: HttpRequest, payload: PostIn, id: int = PK) -> Status:
    p = queries.get_proposal_for_resident(request.user, id)
    deliberation.post(p, by=request.user, body=payload.body)
    return Status(201, _proposal_detail(request, p))


@router.post("/posts/{id}/report", response=ProposalDetail, summary="Report a post to the moderators")
def report_post(request: HttpRequest, payload: ReasonIn, id: int = PK) -> dict:
    message = Post.objects.filter(pk=id, proposal__in=queries.proposals_for_resident(request.user)).first()
    if message is None or (message.state != Post.State.VISIBLE and message.author_id != request.user.pk):
        raise NotFound()
    deliberation.report_post(message, by=request.user, reason=payload.reason)
    return _proposal_detail(request, message.proposal)


def _vote(request: HttpRequest, vote: Vote) -> dict:
    person = scopes.person_for(request.user)
    result = None
    if vote.state == Vote.State.CLOSED:
        result = {
            **{
                f"{name}_area_m2": sqm(getattr(vote, f"{name}_weight"))
                for name in ("total", "part", "yes", "no", "abstain")
            },
            **{f"{name}_heads": getattr(vote, f"{name}_heads") for name in ("total", "part", "yes", "no", "abstain")},
            "quorum": vote.quorum,
            "passed": vote.passed,
        }
    return {
        "id": vote.pk,
        "proposal": vote.proposal_id,
        "kind": vote.kind,
        "matter": vote.matter,
        "major": vote.major,
        "question": vote.question,
        "state": vote.state,
        "opens_at": vote.opens_at,
        "closes_at": vote.closes_at,
        "castable": [
            {
                "entry": e.pk,
                "dwelling": str(e.dwelling) if e.dwelling else None,
                "area_m2": sqm(e.weight) if e.dwelling else None,
                "delegated_to_you": d is not None,
            }
            for e, d in voting.castable(vote, person)
        ],
        "result": result,
    }


@router.get("/votes/{id}", response=VoteOut, summary="A vote: the ballots you may cast, or its published result")
def get_vote(request: HttpRequest, id: int = PK) -> dict:
    return _vote(request, queries.get_vote_for_resident(request.user, id))


@router.post("/votes/{id}/ballots", response={201: BallotOut}, summary="Cast a ballot (one per roll entry)")
def cast(request: HttpRequest, payload: BallotIn, id: int = PK) -> Status:
    vote = queries.get_vote_for_resident(request.user, id)
    entry = voting.entry_of(vote, payload.entry)
    ballot = voting.cast(vote, by=request.user, entry=entry, choice=payload.choice)
    return Status(201, {"id": ballot.pk, "entry": ballot.entry_id, "choice": ballot.choice, "cast_at": ballot.cast_at})


@router.post(
    "/votes/{id}/delegations", response={201: DelegationOut}, summary="Delegate a ballot to a household member"
)
def delegate(request: HttpRequest, payload: DelegateIn, id: int = PK) -> Status:
    vote = queries.get_vote_for_resident(request.user, id)
    entry = voting.entry_of(vote, payload.entry)
    person = scopes.person_for(request.user)
    to = next((p for p in timebank.family_of(person) if p.pk == payload.delegate), None) if person else None
    if to is None:
        raise InvalidInput(_("Choose a member of your household."), code="not_family", field="delegate")
    d = voting.delegate(vote, by=request.user, entry=entry, to=to)
    return Status(201, {"id": d.pk, "entry": d.entry_id, "delegate": d.delegate_id})


def _decision(d: Any) -> dict:
    return {
        "id": d.pk,
        "proposal": d.proposal_id,
        "text": d.text,
        "state": d.state,
        "due": d.due.isoformat() if d.due else None,
        "watched": bool(getattr(d, "watched", False)),
        "follow_ups": [{"at": f.at, "state": f.state, "note": f.note} for f in d.follow_ups.all()],
    }


@router.get("/decisions", response=list[DecisionOut], summary="Decisions of your communities and their follow-up")
def list_decisions(request: HttpRequest, filters: Query[PageQuery]) -> list[dict]:
    qs = queries.decisions_for_resident(request.user).order_by("-created_at", "-pk")
    return [_decision(d) for d in paged(qs, filters.page)[1]]


@router.post("/decisions/{id}/watch", response=DecisionOut, summary="Follow a decision until it is done (or stop)")
def watch(request: HttpRequest, payload: WatchIn, id: int = PK) -> dict:
    decision = queries.get_decision_for_resident(request.user, id)
    deliberation.watch(decision, by=request.user, on=payload.on)
    return _decision(queries.get_decision_for_resident(request.user, id))
