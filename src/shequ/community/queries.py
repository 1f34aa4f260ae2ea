"""Scoped reads of community life. Residents see their home communities; staff the communities of their area
(``scopes.staff_area``); a property company the communities of its buildings, for deliberation. Out of scope is
``NotFound``, like missing. People shown to staff go through the registry's masking (``people_shown``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from shequ.access.masking import mask_name
from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import NotFound
from shequ.registry import visibility
from shequ.registry.models import Person

from . import ledger, scopes
from .ledger import POINTS, TIME
from .models import (
    Activity,
    Attendance,
    Decision,
    FitnessCheckin,
    HelpRequest,
    Listing,
    Proposal,
    Session,
    ShopItem,
    SignUp,
    Volunteer,
    Vote,
)


def _get(qs: QuerySet, pk: Any) -> Any:
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _staff(qs: QuerySet, user: User) -> QuerySet:
    area = scopes.staff_area(user)
    return qs.none() if area is None else qs.filter(area)


def people_shown(user: User, ids: Iterable[int]) -> dict[int, Person]:
    """Persons by id as this staff member may see them (masked by their clearance)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {p.pk: p for p in visibility.masked(Person.objects.filter(pk__in=wanted), user)}


def neighbour_name(person: Person | None) -> str:
    """How residents see each other: surname and last character only."""
    return mask_name(person.name) if person is not None else ""


# --- activities -----------------------------------------------------------------------------------------------


def _upcoming(qs: QuerySet[Activity]) -> QuerySet[Activity]:
    now = clock.now()
    return qs.annotate(next_start=Min("sessions__starts_at", filter=Q(sessions__ends_at__gt=now)))


def activities_for_resident(user: User, *, kind: str = "") -> QuerySet[Activity]:
    """Published activities of the resident's communities that are not over, soonest first."""
    codes = scopes.home_community_codes(scopes.person_for(user))
    qs = Activity.objects.filter(community__code__in=codes, state=Activity.State.PUBLISHED)
    if kind:
        qs = qs.filter(kind=kind)
    return _upcoming(qs).filter(next_start__isnull=False).order_by("next_start", "pk")  # type: ignore[misc]


def get_activity_for_resident(user: User, pk: Any) -> Activity:
    """A published or cancelled activity of the resident's communities, or one they organise."""
    codes = scopes.home_community_codes(scopes.person_for(user))
    qs = Activity.objects.filter(
        Q(community__code__in=codes, state__in=[Activity.State.PUBLISHED, Activity.State.CANCELLED])
        | Q(organiser_id=user.pk)
    ).select_related("community", "team")
    return _get(qs, pk)


def activities_for(user: User) -> QuerySet[Activity]:
    return _upcoming(_staff(Activity.objects.all(), user)).select_related("community", "team")


def get_activity_for(user: User, pk: Any) -> Activity:
    return _get(activities_for(user), pk)


def calendar(codes: list[str], start: datetime, end: datetime) -> QuerySet[Session]:
    """Sessions of published activities of these communities between ``start`` and ``end``."""
    return (
        Session.objects.filter(
            activity__community__code__in=codes,
            activity__state=Activity.State.PUBLISHED,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .select_related("activity")
        .order_by("starts_at", "pk")
    )


def signups_of(person: Person | None) -> QuerySet[SignUp]:
    if person is None:
        return SignUp.objects.none()
    return SignUp.objects.filter(person=person, state=SignUp.State.SIGNED).select_related("activity")


def signed_up(activity: Activity, person: Person | None) -> bool:
    return person is not None and signups_of(person).filter(activity=activity).exists()


def attendance_of(person: Person | None) -> QuerySet[Attendance]:
    if person is None:
        return Attendance.objects.none()
    return Attendance.objects.filter(person=person).select_related("session__activity").order_by("-checked_in_at")


def roster(activity: Activity) -> list[dict[str, Any]]:
    """Who signed up, with their attendance per session (for the organiser's list)."""
    signups = list(activity.signups.filter(state=SignUp.State.SIGNED).select_related("person").order_by("pk"))
    attended = {(a.session_id, a.person_id): a for a in Attendance.objects.filter(session__activity=activity)}
    sessions = list(activity.sessions.all())
    return [
        {"signup": s, "person": s.person, "sessions": [(x, attended.get((x.pk, s.person_id))) for x in sessions]}
        for s in signups
    ]


# --- volunteers -----------------------------------------------------------------------------------------------


def volunteers_for(user: User) -> QuerySet[Volunteer]:
    return _staff(Volunteer.objects.all(), user).select_related("community").prefetch_related("skills")


def get_volunteer_for(user: User, pk: Any) -> Volunteer:
    return _get(volunteers_for(user), pk)


def volunteer_minutes(volunteer_ids: Iterable[int]) -> dict[int, int]:
    """Volunteering minutes credited per volunteer (attendances whose posting is in force)."""
    rows = (
        Attendance.objects.filter(transfer__isnull=False, person__volunteer__in=list(volunteer_ids))
        .values("person__volunteer")
        .annotate(n=Sum("minutes"))
    )
    return {r["person__volunteer"]: r["n"] or 0 for r in rows}


# --- the ledgers ----------------------------------------------------------------------------------------------


def balances(person: Person | None) -> dict[str, int]:
    time = ledger.existing_person_account(TIME, person)
    pts = ledger.existing_person_account(POINTS, person)
    return {"minutes": time.balance if time else 0, "points": pts.balance if pts else 0}


def month_bounds(month: str | None) -> tuple[datetime, datetime]:
    """``"2025-06"`` (default: this month, in Beijing time) -> [its first instant, the next month's)."""
    today = timezone.localdate(clock.now())
    year, mon = today.year, today.month
    if month:
        try:
            year, mon = (int(x) for x in month.split("-", 1))
            if not (2000 <= year <= 2100 and 1 <= mon <= 12):
                raise ValueError(month)
        except ValueError:
            raise NotFound() from None
    tz = timezone.get_current_timezone()
    start = datetime(year, mon, 1, tzinfo=tz)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=tz)
    return start, end


def monthly_statement(person: Person | None, month: str | None = None) -> dict[str, ledger.Statement]:
    start, end = month_bounds(month)
    return {
        "time": ledger.statement(TIME, ledger.existing_person_account(TIME, person), start, end),
        "points": ledger.statement(POINTS, ledger.existing_person_account(POINTS, person), start, end),
    }


def shop_for_resident(user: User) -> QuerySet[ShopItem]:
    codes = scopes.home_community_codes(scopes.person_for(user))
    return (
        ShopItem.objects.filter(community__code__in=codes, active=True)
        .filter(Q(merchant__isnull=True) | Q(merchant__active=True))
        .select_related("merchant__organization", "community")
        .order_by("points", "pk")
    )


def help_for_resident(user: User) -> QuerySet[HelpRequest]:
    person = scopes.person_for(user)
    codes = scopes.home_community_codes(person)
    return HelpRequest.objects.filter(
        Q(community__code__in=codes, state=HelpRequest.State.OPEN) | Q(requester=person) | Q(helper__person=person)
    ).select_related("requester", "helper__person")


def fitness_month(person: Person | None, month: str | None = None) -> int:
    if person is None:
        return 0
    start, end = month_bounds(month)
    return FitnessCheckin.objects.filter(person=person, day__gte=start.date(), day__lt=end.date()).count()


def fitness_counts(spot_ids: Iterable[int], month: str | None = None) -> dict[int, dict[str, int]]:
    """Per spot, this month's check-ins and distinct residents."""
    start, end = month_bounds(month)
    rows = (
        FitnessCheckin.objects.filter(spot__in=list(spot_ids), day__gte=start.date(), day__lt=end.date())
        .values("spot")
        .annotate(checkins=Count("pk"), people=Count("person", distinct=True))
    )
    return {r["spot"]: {"checkins": r["checkins"], "people": r["people"]} for r in rows}


# --- deliberation ---------------------------------------------------------------------------------------------


def _deliberation_codes(user: User) -> list[str]:
    return scopes.home_community_codes(scopes.person_for(user)) + scopes.property_community_codes(user)


def proposals_for_resident(user: User) -> QuerySet[Proposal]:
    """Proposals of the communities where the user has a say (home, or a property company's)."""
    return Proposal.objects.filter(community__code__in=_deliberation_codes(user)).select_related("community")


def get_proposal_for_resident(user: User, pk: Any) -> Proposal:
    return _get(proposals_for_resident(user), pk)


def proposals_for(user: User) -> QuerySet[Proposal]:
    """Staff: their area's; a property company: its communities'."""
    if scopes.is_property(user):
        return proposals_for_resident(user)
    return _staff(Proposal.objects.all(), user).select_related("community")


def get_proposal_for(user: User, pk: Any) -> Proposal:
    return _get(proposals_for(user), pk)


def votes_for_resident(user: User) -> QuerySet[Vote]:
    return Vote.objects.filter(proposal__in=proposals_for_resident(user)).exclude(state=Vote.State.DRAFT)


def get_vote_for_resident(user: User, pk: Any) -> Vote:
    return _get(votes_for_resident(user).select_related("proposal__community"), pk)


def get_vote_for(user: User, pk: Any) -> Vote:
    return _get(Vote.objects.filter(proposal__in=proposals_for(user)).select_related("proposal__community"), pk)


def decisions_for_resident(user: User) -> QuerySet[Decision]:
    person = scopes.person_for(user)
    qs = Decision.objects.filter(proposal__in=proposals_for_resident(user)).select_related("proposal", "owner")
    if person is not None:
        from .models import Watch

        qs = qs.annotate(watched=Exists(Watch.objects.filter(decision=OuterRef("pk"), person=person)))
    return qs


def get_decision_for_resident(user: User, pk: Any) -> Decision:
    return _get(decisions_for_resident(user), pk)


def decisions_for(user: User) -> QuerySet[Decision]:
    owned = Q(owner_id=user.pk)
    return Decision.objects.filter(Q(proposal__in=proposals_for(user)) | owned).select_related("proposal", "owner")


def get_decision_for(user: User, pk: Any) -> Decision:
    return _get(decisions_for(user), pk)


# --- the market -----------------------------------------------------------------------------------------------

PUBLIC_STATES = (Listing.State.ACTIVE, Listing.State.RESERVED, Listing.State.EXCHANGED)


def listings_for_resident(user: User, *, q: str = "", kind: str = "") -> QuerySet[Listing]:
    """Available and reserved listings of the resident's communities, not expired, newest first."""
    codes = scopes.home_community_codes(scopes.person_for(user))
    qs = Listing.objects.filter(
        community__code__in=codes,
        state__in=[Listing.State.ACTIVE, Listing.State.RESERVED],
        expires_at__gt=clock.now(),
    )
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.prefetch_related("photos").order_by("-created_at", "-pk")


def own_listings(person: Person | None) -> QuerySet[Listing]:
    if person is None:
        return Listing.objects.none()
    return Listing.objects.filter(seller=person).prefetch_related("photos").order_by("-created_at", "-pk")


def get_listing_for_resident(user: User, pk: Any) -> Listing:
    """Listings of the resident's communities in a public state, and every listing of their own."""
    person = scopes.person_for(user)
    codes = scopes.home_community_codes(person)
    visible = Q(community__code__in=codes, state__in=PUBLIC_STATES)
    qs = Listing.objects.filter(visible | Q(seller=person) if person else visible)
    return _get(qs.select_related("seller", "community"), pk)


def listings_for(user: User) -> QuerySet[Listing]:
    return _staff(Listing.objects.all(), user).select_related("community")


def get_listing_for(user: User, pk: Any) -> Listing:
    return _get(listings_for(user), pk)


def recent(days: int = 30) -> datetime:
    return clock.now() - timedelta(days=days)
