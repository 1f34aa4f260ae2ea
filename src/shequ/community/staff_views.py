"""Workbench pages of community life: the overview, volunteers and teams, activities (sessions, QR posters, the
attendance list) and fitness spots. Reads go through ``queries`` (out of the area is a 404); people are shown
masked by the user's clearance (``queries.people_shown``)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.access.decorators import staff_required
from shequ.registry.queries import get_person_unmasked_for, people_for
from shequ.registry.search import search_people

from . import activities, queries, scopes, volunteering
from .forms import (
    ActivityForm,
    AttendanceForm,
    PublishForm,
    ReasonForm,
    SearchForm,
    SpotForm,
    TeamForm,
    VolunteerForm,
)
from .models import (
    ActivityKind,
    Availability,
    FitnessSpot,
    HelpRequest,
    Listing,
    Post,
    Proposal,
    Skill,
    Team,
    Volunteer,
)
from .viewkit import attempt, found, on_form, page_of, qr_data_uri


@require_GET
@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    area = scopes.staff_area(request.user)
    if area is None:  # staff without an area (a unit's handler): nothing of community life to count
        area = Q(pk__in=[])
    counts = {
        "volunteers": Volunteer.objects.filter(area, state=Volunteer.State.ACTIVE).count(),
        "activities": queries.activities_for(request.user).filter(next_start__isnull=False).count(),
        "proposals": Proposal.objects.filter(area, state__in=[Proposal.State.RAISED, Proposal.State.AGENDA]).count(),
        "held_posts": Post.objects.filter(state=Post.State.HELD)
        .filter(proposal__in=Proposal.objects.filter(area))
        .count(),
        "held_listings": Listing.objects.filter(area, state=Listing.State.HELD).count(),
        "open_help": HelpRequest.objects.filter(area, state=HelpRequest.State.OPEN).count(),
    }
    return render(
        request,
        "community/staff/dashboard.html",
        {"counts": counts, "manages": scopes.managed_communities(request.user).exists()},
    )


# --- volunteers and teams -------------------------------------------------------------------------------------


@require_GET
@staff_required
def volunteer_list(request: HttpRequest) -> HttpResponse:
    qs = queries.volunteers_for(request.user).filter(state=Volunteer.State.ACTIVE)
    skill = request.GET.get("skill", "")
    if skill:
        qs = qs.filter(skills__code=skill)
    slot = request.GET.get("slot", "")
    if slot:
        qs = qs.filter(availability__contains=f",{slot},")
    page = page_of(request, qs.order_by("-joined_at", "-pk"), 25)
    people = queries.people_shown(request.user, [v.person_id for v in page])
    minutes = queries.volunteer_minutes([v.pk for v in page])
    rows = [{"v": v, "person": people.get(v.person_id), "minutes": minutes.get(v.pk, 0)} for v in page]
    return render(
        request,
        "community/staff/volunteers.html",
        {
            "page": page,
            "rows": rows,
            "skills": Skill.objects.all(),
            "skill": skill,
            "slot": slot,
            "slot_choices": Availability.choices,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def volunteer_new(request: HttpRequest) -> HttpResponse:
    """Find a person of the base living in the area, then register them."""
    search = SearchForm(request.GET or None)
    found_people = []
    if search.is_valid() and search.cleaned_data["q"]:
        found_people = attempt(request, lambda: search_people(request.user, search.cleaned_data["q"])) or []
    person = None
    if request.GET.get("person") or request.POST.get("person"):
        person = people_for(request.user).filter(pk=request.GET.get("person") or request.POST.get("person")).first()
        if person is None:
            raise Http404
    form = VolunteerForm(request.POST or None, communities=scopes.managed_communities(request.user))
    if request.method == "POST" and person is not None and form.is_valid():
        data = form.cleaned_data
        unmasked = found(get_person_unmasked_for, request.user, person.pk)
        done = on_form(
            form,
            lambda: volunteering.register(
                by=request.user,
                person=unmasked,
                community=data["community"],
                profile=volunteering.Profile(
                    skills=list(data["skills"]), availability=data["availability"], note=data["note"]
                ),
            ),
        )
        if done is not None:
            messages.success(request, _("Registered as a volunteer."))
            return redirect("community:volunteer", pk=done.pk)
    return render(
        request,
        "community/staff/volunteer_new.html",
        {"search": search, "found": found_people, "person": person, "form": form},
    )


@require_GET
@staff_required
def volunteer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    volunteer = found(queries.get_volunteer_for, request.user, pk)
    person = queries.people_shown(request.user, [volunteer.person_id]).get(volunteer.person_id)
    history = queries.attendance_of(volunteer.person)[:50]
    return render(
        request,
        "community/staff/volunteer.html",
        {
            "v": volunteer,
            "person": person,
            "history": history,
            "minutes": queries.volunteer_minutes([volunteer.pk]).get(volunteer.pk, 0),
            "teams": volunteer.memberships.select_related("team"),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def team_list(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None, communities=scopes.managed_communities(request.user))
    if request.method == "POST" and form.is_valid():
        done = on_form(form, lambda: volunteering.create_team(by=request.user, **form.cleaned_data))
        if done is not None:
            messages.success(request, _("Team created."))
            return redirect("community:team", pk=done.pk)
    area = scopes.staff_area(request.user)
    teams = (
        Team.objects.filter(area)
        .annotate(n=Count("members"))
        .select_related("community")
        .order_by("community__code", "name")
        if area is not None
        else []
    )
    return render(request, "community/staff/teams.html", {"page": page_of(request, teams, 25), "form": form})


def _team(request: HttpRequest, pk: int) -> Team:
    area = scopes.staff_area(request.user)
    team = Team.objects.filter(area).filter(pk=pk).select_related("community").first() if area is not None else None
    if team is None:
        raise Http404
    return team


@require_http_methods(["GET", "POST"])
@staff_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = _team(request, pk)
    if request.method == "POST":
        volunteer = Volunteer.objects.filter(pk=request.POST.get("volunteer") or 0, community=team.community).first()
        member = team.members.filter(pk=request.POST.get("member") or 0).first()
        if request.POST.get("remove") and member is not None:
            attempt(request, lambda: volunteering.remove_member(member, by=request.user), _("Removed from the team."))
        elif volunteer is not None:
            leader = bool(request.POST.get("leader"))
            attempt(
                request,
                lambda: volunteering.add_member(team, by=request.user, volunteer=volunteer, leader=leader),
                _("Saved."),
            )
        else:
            raise Http404
        return redirect("community:team", pk=team.pk)
    members = list(team.members.select_related("volunteer"))
    candidates = list(
        Volunteer.objects.filter(community=team.community, state=Volunteer.State.ACTIVE).exclude(
            pk__in=[m.volunteer_id for m in members]
        )[:200]
    )
    people = queries.people_shown(
        request.user, [m.volunteer.person_id for m in members] + [c.person_id for c in candidates]
    )
    return render(
        request,
        "community/staff/team.html",
        {
            "team": team,
            "members": [(m, people.get(m.volunteer.person_id)) for m in members],
            "candidates": [(c, people.get(c.person_id)) for c in candidates],
            "manages": scopes.manages(request.user, team.community),
        },
    )


# --- activities -----------------------------------------------------------------------------------------------


@require_GET
@staff_required
def activity_list(request: HttpRequest) -> HttpResponse:
    qs = queries.activities_for(request.user)
    kind = request.GET.get("kind", "")
    if kind in ActivityKind.values:
        qs = qs.filter(kind=kind)
    when = request.GET.get("when", "upcoming")
    if when == "upcoming":
        qs = qs.filter(next_start__isnull=False).order_by("next_start", "pk")  # type: ignore[misc]
    else:
        qs = qs.order_by("-created_at", "-pk")
    qs = qs.annotate(signed=Count("signups", filter=Q(signups__state="signed")))
    return render(
        request,
        "community/staff/activities.html",
        {"page": page_of(request, qs, 25), "kind": kind, "kinds": ActivityKind.choices, "when": when},
    )


@require_http_methods(["GET", "POST"])
@staff_required
def activity_new(request: HttpRequest) -> HttpResponse:
    communities = scopes.managed_communities(request.user)
    teams = Team.objects.filter(community__in=communities)
    form = ActivityForm(request.POST or None, communities=communities, teams=teams)
    if request.method == "POST" and form.is_valid():
        done = on_form(form, lambda: activities.create(by=request.user, data=form.activity_input()))
        if done is not None:
            messages.success(request, _("Saved as a draft: publish it from its page."))
            return redirect("community:activity", pk=done.pk)
    return render(request, "community/staff/activity_form.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
@staff_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = found(queries.get_activity_for, request.user, pk)
    rows = queries.roster(activity)
    people = queries.people_shown(request.user, [r["person"].pk for r in rows])
    for row in rows:
        row["shown"] = people.get(row["person"].pk)
    return render(
        request,
        "community/staff/activity.html",
        {
            "activity": activity,
            "sessions": activity.sessions.all(),
            "rows": rows,
            "may_organise": activities.may_organise(request.user, activity),
            "publish_form": PublishForm(user=request.user),
            "reason_form": ReasonForm(),
            "timeline": activity.timeline.select_related("actor")[:100],
        },
    )


@require_POST
@staff_required
def activity_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    activity = found(queries.get_activity_for, request.user, pk)
    if action == "publish":
        form = PublishForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            attempt(
                request,
                lambda: activities.publish(
                    activity, by=request.user, announce=data["announce"], tags=list(data["tags"])
                ),
                _("Published."),
            )
    elif action == "cancel":
        form = ReasonForm(request.POST)
        if form.is_valid():
            attempt(
                request,
                lambda: activities.cancel(activity, by=request.user, reason=form.cleaned_data["reason"]),
                _("Cancelled."),
            )
        else:
            messages.error(request, _("Give the reason."))
    elif action == "attendance":
        form = AttendanceForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give both times."))
            return redirect("community:activity", pk=activity.pk)
        data = form.cleaned_data
        session = activity.sessions.filter(pk=data["session"]).first()
        signup = activity.signups.filter(person_id=data["person"]).select_related("person").first()
        if session is None or signup is None:
            raise Http404
        attempt(
            request,
            lambda: activities.record(
                session,
                by=request.user,
                person=signup.person,
                checked_in_at=data["checked_in_at"],
                checked_out_at=data["checked_out_at"],
                reason=data["reason"],
            ),
            _("Attendance recorded."),
        )
    else:
        raise Http404
    return redirect("community:activity", pk=activity.pk)


@require_GET
@staff_required
def session_poster(request: HttpRequest, pk: int) -> HttpResponse:
    """A page to print and put up at the activity: its QR code for check-in and check-out."""
    from .models import Session

    session = Session.objects.filter(pk=pk, activity__in=queries.activities_for(request.user)).first()
    if session is None:
        raise Http404
    return render(
        request,
        "community/staff/poster.html",
        {
            "title": session.activity.title,
            "subtitle": f"{session.activity.place}",
            "when": session,
            "qr": qr_data_uri(request, "community_portal:checkin", code=session.code),
            "hint": _("Scan with your phone to check in; scan again when you leave."),
        },
    )


# --- fitness spots --------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def fitness_list(request: HttpRequest) -> HttpResponse:
    form = SpotForm(request.POST or None, communities=scopes.managed_communities(request.user))
    if request.method == "POST" and form.is_valid():
        done = on_form(form, lambda: activities.create_spot(by=request.user, **form.cleaned_data))
        if done is not None:
            messages.success(request, _("Fitness spot added."))
            return redirect("community:fitness")
    area = scopes.staff_area(request.user)
    spots = list(FitnessSpot.objects.filter(area).select_related("community")) if area is not None else []
    month = request.GET.get("month") or None
    counts = found(queries.fitness_counts, [s.pk for s in spots], month)
    rows = [(s, counts.get(s.pk, {"checkins": 0, "people": 0})) for s in spots]
    return render(request, "community/staff/fitness.html", {"rows": rows, "form": form, "month": month or ""})


@require_GET
@staff_required
def fitness_poster(request: HttpRequest, pk: int) -> HttpResponse:
    area = scopes.staff_area(request.user)
    spot = FitnessSpot.objects.filter(area).filter(pk=pk).first() if area is not None else None
    if spot is None:
        raise Http404
    return render(
        request,
        "community/staff/poster.html",
        {
            "title": spot.name,
            "subtitle": spot.community.name,
            "qr": qr_data_uri(request, "community_portal:fitness", code=spot.code),
            "hint": _("Scan with your phone to check in at this fitness spot."),
        },
    )
