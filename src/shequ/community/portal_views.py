"""Resident pages of community life (mobile first): the hub, activities and the calendar, sign-up, QR check-in,
volunteering, fitness check-ins and getting around. Views parse, call the domain modules and render; reads go
through ``queries`` (out of scope is a 404)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.core import clock

from . import activities, around, queries, scopes, volunteering
from .forms import ActivityForm, AttendanceForm, VolunteerForm, communities_for_resident
from .models import Activity, ActivityKind, Proposal, Skill, Vote
from .viewkit import attempt, found, on_form, page_of, resident_required


@require_GET
@resident_required
def home(request: HttpRequest) -> HttpResponse:
    """The hub: my hours and points, what is coming up, what is being discussed, the market."""
    person = scopes.person_for(request.user)
    communities = scopes.home_communities(request.user)
    upcoming = list(queries.activities_for_resident(request.user)[:3])
    proposals = queries.proposals_for_resident(request.user)
    return render(
        request,
        "community/portal/home.html",
        {
            "person": person,
            "communities": communities,
            "balances": queries.balances(person),
            "volunteer": volunteering.active_volunteer(person),
            "upcoming": upcoming,
            "mine": queries.signups_of(person).filter(activity__state=Activity.State.PUBLISHED)[:3],
            "agenda": proposals.filter(state__in=[Proposal.State.AGENDA, Proposal.State.RAISED])[:3],
            "open_votes": queries.votes_for_resident(request.user).filter(state=Vote.State.OPEN)[:3],
            "listings": queries.listings_for_resident(request.user)[:4],
            "fitness_month": queries.fitness_month(person),
        },
    )


@require_GET
@resident_required
def activity_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in ActivityKind.values:
        kind = ""
    page = page_of(request, queries.activities_for_resident(request.user, kind=kind))
    return render(
        request,
        "community/portal/activities.html",
        {"page": page, "kind": kind, "kinds": ActivityKind.choices, "teams": volunteering.led_teams(request.user)},
    )


def _activity_context(request: HttpRequest, activity: Activity) -> dict:
    person = scopes.person_for(request.user)
    attended = {a.session_id: a for a in queries.attendance_of(person).filter(session__activity=activity)}
    return {
        "activity": activity,
        "sessions": [(s, attended.get(s.pk)) for s in activity.sessions.all()],
        "signed": queries.signed_up(activity, person),
        "taken": activities.signed_count(activity),
        "over": activities.is_over(activity),
        "organiser": activities.may_organise(request.user, activity),
        "is_volunteer": volunteering.active_volunteer(person) is not None,
    }


@require_GET
@resident_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = found(queries.get_activity_for_resident, request.user, pk)
    return render(request, "community/portal/activity.html", _activity_context(request, activity))


@require_POST
@resident_required
def activity_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    activity = found(queries.get_activity_for_resident, request.user, pk)
    if action == "signup":
        attempt(request, lambda: activities.sign_up(activity, by=request.user), _("Signed up. See you there!"))
    elif action == "cancel":
        attempt(request, lambda: activities.cancel_sign_up(activity, by=request.user), _("Sign-up cancelled."))
    elif action == "publish":
        attempt(request, lambda: activities.publish(activity, by=request.user), _("Published."))
    else:
        raise Http404
    return redirect("community_portal:activity", pk=activity.pk)


@require_http_methods(["GET", "POST"])
@resident_required
def activity_new(request: HttpRequest) -> HttpResponse:
    """A team leader publishes an activity of their team."""
    teams = volunteering.led_teams(request.user)
    if not teams:
        raise Http404
    from shequ.geo.models import Region

    communities = Region.objects.filter(pk__in={t.community_id for t in teams})
    team_qs = type(teams[0]).objects.filter(pk__in=[t.pk for t in teams])
    form = ActivityForm(request.POST or None, communities=communities, teams=team_qs)
    if request.method == "POST" and form.is_valid():
        done = on_form(form, lambda: activities.create(by=request.user, data=form.activity_input()))
        if done:
            messages.success(request, _("Saved as a draft: publish it when ready."))
            return redirect("community_portal:activity", pk=done.pk)
    return render(request, "community/portal/activity_form.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@resident_required
def roster(request: HttpRequest, pk: int) -> HttpResponse:
    """The organiser's list on the phone: who signed up, and their check-in and check-out per session."""
    activity = found(queries.get_activity_for_resident, request.user, pk)
    if not activities.may_organise(request.user, activity):
        raise Http404
    if request.method == "POST":
        form = AttendanceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            session = activity.sessions.filter(pk=data["session"]).first()
            person = activity.signups.filter(person_id=data["person"]).first()
            if session is None or person is None:
                raise Http404
            attempt(
                request,
                lambda: activities.record(
                    session,
                    by=request.user,
                    person=person.person,
                    checked_in_at=data["checked_in_at"],
                    checked_out_at=data["checked_out_at"],
                    reason=data["reason"],
                ),
                _("Attendance recorded."),
            )
        else:
            messages.error(request, _("Give both times."))
        return redirect("community_portal:roster", pk=activity.pk)
    rows = queries.roster(activity)
    for row in rows:
        row["name"] = queries.neighbour_name(row["person"])
    return render(request, "community/portal/roster.html", {"activity": activity, "rows": rows})


@require_http_methods(["GET", "POST"])
@resident_required
def checkin(request: HttpRequest, code: str) -> HttpResponse:
    """Where a session's QR code leads: the page says what a tap will do; the tap (POST) checks in or out."""
    session = found(activities.session_by_code, code)
    activity = session.activity
    if request.method == "POST":
        result = attempt(request, lambda: activities.scan(code, by=request.user))
        if result is not None:
            attendance, step = result
            if step == "in":
                messages.success(request, _("Checked in. Scan again when you leave."))
            elif attendance.transfer is not None:
                messages.success(
                    request,
                    _("Checked out: %(minutes)s minutes credited to your time bank.") % {"minutes": attendance.minutes},
                )
            else:
                messages.success(request, _("Checked out. Thank you for coming!"))
        return redirect("community_portal:checkin", code=code)
    person = scopes.person_for(request.user)
    attendance = queries.attendance_of(person).filter(session=session).first()
    return render(
        request,
        "community/portal/checkin.html",
        {"session": session, "activity": activity, "attendance": attendance, "person": person},
    )


@require_GET
@resident_required
def calendar(request: HttpRequest) -> HttpResponse:
    """This month's (or ``?month=YYYY-MM``) sessions of the resident's communities, by day."""
    month = request.GET.get("month") or None
    start, end = found(queries.month_bounds, month)
    codes = scopes.home_community_codes(scopes.person_for(request.user))
    days: dict = {}
    for session in queries.calendar(codes, start, end):
        days.setdefault(timezone.localtime(session.starts_at).date(), []).append(session)
    previous = (start - timedelta(days=1)).strftime("%Y-%m")
    return render(
        request,
        "community/portal/calendar.html",
        {"days": sorted(days.items()), "start": start, "previous": previous, "next": end.strftime("%Y-%m")},
    )


@require_http_methods(["GET", "POST"])
@resident_required
def volunteer(request: HttpRequest) -> HttpResponse:
    """Become a volunteer (or change one's skills and times), and see one's hours."""
    person = scopes.person_for(request.user)
    current = volunteering.active_volunteer(person)
    communities = communities_for_resident(request.user)
    initial = {}
    if current is not None:
        initial = {
            "community": current.community,
            "skills": list(current.skills.all()),
            "availability": current.slots,
            "note": current.note,
        }
    form = VolunteerForm(request.POST or None, communities=communities, initial=initial)
    if request.method == "POST" and person is not None and form.is_valid():
        data = form.cleaned_data
        profile = volunteering.Profile(
            skills=list(data["skills"]), availability=data["availability"], note=data["note"]
        )
        if current is None:
            done = on_form(
                form,
                lambda: volunteering.register(
                    by=request.user, person=person, community=data["community"], profile=profile
                ),
            )
        else:
            done = on_form(form, lambda: volunteering.update(current, by=request.user, profile=profile))
        if done is not None:
            messages.success(request, _("Saved. Thank you for volunteering!"))
            return redirect("community_portal:volunteer")
    history = queries.attendance_of(person)[:20]
    return render(
        request,
        "community/portal/volunteer.html",
        {
            "form": form,
            "person": person,
            "volunteer": current,
            "balances": queries.balances(person),
            "history": history,
            "skills": Skill.objects.all(),
            "teams": current.memberships.select_related("team") if current else [],
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@resident_required
def fitness(request: HttpRequest, code: str) -> HttpResponse:
    """Where a fitness spot's QR code leads: one tap checks in (once a day)."""
    from .models import FitnessSpot

    spot = FitnessSpot.objects.filter(code=code[:32], active=True).select_related("community").first()
    if spot is None:
        raise Http404
    person = scopes.person_for(request.user)
    if request.method == "POST":
        result = attempt(request, lambda: activities.fitness_check_in(code, by=request.user))
        if result is not None:
            if result.new:
                messages.success(request, _("Checked in. Keep it up!"))
            else:
                messages.info(request, _("You have already checked in here today."))
        return redirect("community_portal:fitness", code=code)
    today = timezone.localdate(clock.now())
    done = person is not None and spot.checkins.filter(person=person, day=today).exists()
    return render(
        request,
        "community/portal/fitness.html",
        {"spot": spot, "done": done, "month": queries.fitness_month(person)},
    )


@require_GET
@resident_required
def getting_around(request: HttpRequest) -> HttpResponse:
    """Bus stops and lines near each of the resident's homes, and any other panels registered (parking)."""
    homes = [{"home": home, "panels": around.panels(home)} for home in around.homes(request.user)]
    return render(request, "community/portal/around.html", {"homes": homes})
