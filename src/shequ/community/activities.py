"""The community calendar's writes: activities and their sessions, sign-ups, attendance, fitness check-ins.

Rules:
- A community's managers publish any kind of activity there; a volunteer team's leader publishes the team's
  (from the portal). Announcing an activity to residents goes through the notices app (staff only, since a notice
  is theirs to write), to the residents of the community, optionally only those holding some tags.
- Residents sign up for activities of their home communities while the activity has places and is not over;
  volunteering needs an active volunteer.
- Check-in and check-out happen on site: scanning the session's QR code (the first scan checks in, the second
  out) from ``SHEQU_CHECKIN_MARGIN_MINUTES`` before the session until as long after it, or on the organiser's
  list. Attendance counts only within the session's times, in whole minutes.
- Volunteering minutes are credited to the volunteer's time account from the community's pool, and earn points by
  the rules; a corrected attendance reverses both postings and posts the new minutes.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.access.models import Role, User
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from shequ.geo.models import Region, RegionLevel
from shequ.registry.models import Person, Tag

from . import ledger, points, scopes, volunteering
from .ledger import TIME
from .models import (
    Activity,
    ActivityEntry,
    ActivityKind,
    Attendance,
    FitnessCheckin,
    FitnessSpot,
    Session,
    SignUp,
    Skill,
    Team,
    TimeTransfer,
    Trigger,
)

TITLE_MAX = 80
MAX_SESSIONS = 52


def new_code() -> str:
    return secrets.token_urlsafe(12)


@dataclass(frozen=True, kw_only=True)
class ActivityInput:
    community: Region
    kind: str
    title: str
    place: str
    sessions: Sequence[tuple[datetime, datetime]]
    description: str = ""
    capacity: int | None = None
    skills: Sequence[Skill] = ()
    team: Team | None = None


def may_organise(user: User, activity: Activity) -> bool:
    """Its community's managers, its team's leaders and whoever published it."""
    return (
        scopes.manages(user, activity.community)
        or volunteering.leads(user, activity.team)
        or (activity.organiser_id == user.pk and user.is_authenticated)
    )


def _log(activity: Activity, action: str, by: User | None, *, person: Person | None = None, note: str = "") -> None:
    ActivityEntry.objects.create(activity=activity, action=action, actor=by, person=person, note=note[:300])


def _check(data: ActivityInput) -> None:
    if data.community.level != RegionLevel.COMMUNITY:
        raise InvalidInput(_("Choose a community."), code="community_required", field="community")
    if data.kind not in ActivityKind.values:
        raise InvalidInput(_("Choose the kind of activity."), code="bad_kind", field="kind")
    title = (data.title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise InvalidInput(_("Give a title of at most %(n)s characters.") % {"n": TITLE_MAX}, field="title")
    if not (data.place or "").strip():
        raise InvalidInput(_("Say where it takes place."), code="place_required", field="place")
    if data.capacity is not None and data.capacity < 1:
        raise InvalidInput(_("Places must be at least 1 (or left empty)."), code="bad_capacity", field="capacity")
    if not data.sessions or len(data.sessions) > MAX_SESSIONS:
        raise InvalidInput(
            _("Give from 1 to %(n)s sessions.") % {"n": MAX_SESSIONS}, code="sessions_required", field="sessions"
        )
    for start, end in data.sessions:
        if end <= start:
            raise InvalidInput(_("A session must end after it starts."), code="session_order", field="sessions")
    if data.team is not None and data.team.community_id != data.community.pk:
        raise InvalidInput(_("The team belongs to another community."), code="team_elsewhere", field="team")


@transaction.atomic
def create(*, by: User, data: ActivityInput) -> Activity:
    """A draft activity with its sessions."""
    _check(data)
    if not (scopes.manages(by, data.community) or (data.team is not None and volunteering.leads(by, data.team))):
        raise PermissionDenied(
            _("Only the community's staff or a team's leader may publish activities."), code="not_allowed"
        )
    activity = Activity.objects.create(
        community=data.community,
        kind=data.kind,
        title=data.title.strip(),
        description=(data.description or "").strip(),
        place=data.place.strip()[:120],
        capacity=data.capacity,
        team=data.team,
        organiser=by,
        created_at=clock.now(),
    )
    activity.skills.set(data.skills)
    Session.objects.bulk_create(
        [Session(activity=activity, starts_at=s, ends_at=e, code=new_code()) for s, e in sorted(data.sessions)]
    )
    _log(activity, "create", by)
    return activity


def _lock(activity: Activity) -> Activity:
    return Activity.objects.select_for_update(of=("self",)).select_related("community", "team").get(pk=activity.pk)


def _announce(activity: Activity, by: User, tags: Sequence[Tag]) -> None:
    from shequ.notices import actions as notices

    first = activity.sessions.order_by("starts_at").first()
    assert first is not None
    when = timezone.localtime(first.starts_at).strftime("%Y-%m-%d %H:%M")
    body = "\n\n".join(
        part
        for part in (
            _("**Time**: %(when)s") % {"when": when},
            _("**Place**: %(place)s") % {"place": activity.place},
            activity.description,
            _("Sign up in the resident portal: %(path)s") % {"path": f"/portal/community/activities/{activity.pk}/"},
        )
        if part
    )
    data = notices.NoticeInput(
        title=(_("[Community activity] %(title)s") % {"title": activity.title})[:120],
        body=body,
        regions=[activity.community],
        audience_roles=(Role.RESIDENT.value,),
        audience_tags=list(tags),
    )
    notice = notices.publish(notices.compose(by=by, data=data), by=by)
    activity.notice = notice


@transaction.atomic
def publish(activity: Activity, *, by: User, announce: bool = False, tags: Sequence[Tag] = ()) -> Activity:
    """Open a draft for sign-ups; with ``announce``, push a notice to the community's residents (with ``tags``:
    only to those holding one of them)."""
    activity = _lock(activity)
    if not may_organise(by, activity):
        raise PermissionDenied(_("You may not publish this activity."), code="not_allowed")
    if activity.state != Activity.State.DRAFT:
        raise InvalidTransition(_("Only a draft can be published."), code="not_draft")
    if announce:
        from shequ.notices.actions import may_write

        if not may_write(by):
            raise PermissionDenied(_("Only community staff may push a notice."), code="not_a_writer")
        from shequ.access.scopes import clearance, level_number

        if any(level_number(t.sensitivity) > clearance(by).clear for t in tags):
            raise PermissionDenied(_("You may address only tags you see in clear."), code="tag_above_clearance")
        _announce(activity, by, tags)
    activity.state = Activity.State.PUBLISHED
    activity.published_at = clock.now()
    activity.save(update_fields=["state", "published_at", "notice"])
    _log(activity, "publish", by, note=_("announced to residents") if announce else "")
    return activity


@transaction.atomic
def cancel(activity: Activity, *, by: User, reason: str) -> Activity:
    activity = _lock(activity)
    if not may_organise(by, activity):
        raise PermissionDenied(_("You may not cancel this activity."), code="not_allowed")
    if activity.state == Activity.State.CANCELLED:
        raise InvalidTransition(_("The activity is already cancelled."), code="cancelled")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason."), code="reason_required", field="reason")
    activity.state = Activity.State.CANCELLED
    activity.save(update_fields=["state"])
    _log(activity, "cancel", by, note=reason)
    return activity


def is_over(activity: Activity) -> bool:
    last = activity.sessions.order_by("-ends_at").values_list("ends_at", flat=True).first()
    return last is None or last <= clock.now()


def signed_count(activity: Activity) -> int:
    return activity.signups.filter(state=SignUp.State.SIGNED).count()


def _resident(by: User) -> Person:
    person = scopes.person_for(by)
    if person is None:
        raise PermissionDenied(
            _("Your account is not linked to a resident record yet; ask your community."), code="no_person"
        )
    return person


def _join(activity: Activity, person: Person, by: User) -> SignUp:
    """Sign up, the activity's row being locked by the caller."""
    if activity.state != Activity.State.PUBLISHED:
        raise InvalidTransition(_("This activity is not open for sign-up."), code="not_open")
    if not scopes.lives_in(person, activity.community):
        raise PermissionDenied(_("This activity is for residents of another community."), code="other_community")
    if activity.kind == ActivityKind.VOLUNTEER and volunteering.active_volunteer(person) is None:
        raise PermissionDenied(_("Register as a volunteer first."), code="not_a_volunteer")
    signup = SignUp.objects.filter(activity=activity, person=person).first()
    if signup is not None and signup.state == SignUp.State.SIGNED:
        raise InvalidTransition(_("You have already signed up."), code="already_signed")
    if activity.capacity is not None and signed_count(activity) >= activity.capacity:
        raise InvalidTransition(_("All places are taken."), code="full")
    now = clock.now()
    if signup is None:
        signup = SignUp.objects.create(activity=activity, person=person, created_at=now, updated_at=now)
    else:
        signup.state, signup.updated_at = SignUp.State.SIGNED, now
        signup.save(update_fields=["state", "updated_at"])
    _log(activity, "sign_up", by, person=person)
    return signup


@transaction.atomic
def sign_up(activity: Activity, *, by: User) -> SignUp:
    """The resident signs up for an activity of their community that is open and not over, while places last."""
    person = _resident(by)
    activity = _lock(activity)
    if is_over(activity):
        raise InvalidTransition(_("This activity is over."), code="over")
    return _join(activity, person, by)


@transaction.atomic
def cancel_sign_up(activity: Activity, *, by: User) -> SignUp:
    person = _resident(by)
    activity = _lock(activity)
    if is_over(activity):
        raise InvalidTransition(_("This activity is over."), code="over")
    signup = SignUp.objects.filter(activity=activity, person=person, state=SignUp.State.SIGNED).first()
    if signup is None:
        raise InvalidTransition(_("You have not signed up."), code="not_signed")
    signup.state, signup.updated_at = SignUp.State.CANCELLED, clock.now()
    signup.save(update_fields=["state", "updated_at"])
    _log(activity, "cancel_sign_up", by, person=person)
    return signup


# --- attendance -----------------------------------------------------------------------------------------------


def session_minutes(session: Session, start: datetime, end: datetime) -> int:
    """Whole minutes of [start, end] inside the session's own times."""
    low, high = max(start, session.starts_at), min(end, session.ends_at)
    return max(0, int((high - low).total_seconds() // 60))


def _margin() -> timedelta:
    return timedelta(minutes=settings.SHEQU_CHECKIN_MARGIN_MINUTES)


def _credit(attendance: Attendance, activity: Activity, by: User | None) -> None:
    """Post the volunteering minutes and their points (keys per correction: a retry posts nothing new)."""
    if not activity.gives_hours or not attendance.minutes:
        attendance.transfer = None
        return
    n = attendance.corrections
    attendance.transfer = ledger.post(
        TIME,
        debit=ledger.pool_account(TIME, activity.community),
        credit=ledger.person_account(TIME, attendance.person),
        amount=attendance.minutes,
        kind="volunteering",
        key=f"attendance:{attendance.pk}:{n}",
        by=by,
        memo=activity.title,
    )
    points.award(
        person=attendance.person,
        community=activity.community,
        trigger=Trigger.VOLUNTEER_HOUR,
        key=f"volunteer:{attendance.pk}:{n}",
        quantity=attendance.minutes,
        by=by,
    )


def _undo(attendance: Attendance, by: User | None, reason: str) -> None:
    if attendance.transfer is not None:
        ledger.reverse(TIME, attendance.transfer, by=by, reason=reason)
        points.take_back(key=f"volunteer:{attendance.pk}:{attendance.corrections}", by=by, reason=reason)
    attendance.transfer = None


def session_by_code(code: str) -> Session:
    session = Session.objects.select_related("activity__community").filter(code=(code or "")[:32]).first()
    if session is None or not code:
        raise NotFound()
    return session


@transaction.atomic
def scan(code: str, *, by: User) -> tuple[Attendance, str]:
    """The resident scanned a session's QR code: the first scan checks in (signing up on the spot while places
    last), the second checks out and gives the hours. Returns the attendance and "in" or "out"."""
    person = _resident(by)
    session = session_by_code(code)
    activity = _lock(session.activity)
    now = clock.now()
    if activity.state != Activity.State.PUBLISHED:
        raise InvalidTransition(_("This activity is not open."), code="not_open")
    if not (session.starts_at - _margin() <= now <= session.ends_at + _margin()):
        raise InvalidTransition(_("Check-in opens shortly before the session and closes after it."), code="not_now")
    attendance = Attendance.objects.select_for_update().filter(session=session, person=person).first()
    if attendance is None:
        if not SignUp.objects.filter(activity=activity, person=person, state=SignUp.State.SIGNED).exists():
            _join(activity, person, by)
        attendance = Attendance.objects.create(
            session=session, person=person, checked_in_at=now, method=Attendance.Method.QR, recorded_by=by
        )
        _log(activity, "check_in", by, person=person)
        return attendance, "in"
    if attendance.checked_out_at is not None:
        raise InvalidTransition(_("You have already checked out of this session."), code="checked_out")
    attendance.checked_out_at = max(now, attendance.checked_in_at)
    attendance.minutes = session_minutes(session, attendance.checked_in_at, attendance.checked_out_at)
    attendance.save()
    _credit(attendance, activity, by)
    attendance.save(update_fields=["transfer"])
    _log(activity, "check_out", by, person=person, note=str(attendance.minutes))
    return attendance, "out"


@transaction.atomic
def record(
    session: Session, *, by: User, person: Person, checked_in_at: datetime, checked_out_at: datetime, reason: str = ""
) -> Attendance:
    """The organiser's list: someone who signed up came from ``checked_in_at`` to ``checked_out_at``. Changing a
    recorded attendance is a correction (with a reason): the earlier postings are reversed."""
    activity = _lock(session.activity)
    if not may_organise(by, activity):
        raise PermissionDenied(_("Only the organisers keep the attendance list."), code="not_allowed")
    if not SignUp.objects.filter(activity=activity, person=person, state=SignUp.State.SIGNED).exists():
        raise InvalidInput(_("This person has not signed up."), code="not_signed", field="person")
    if checked_out_at < checked_in_at:
        raise InvalidInput(_("Check-out cannot come before check-in."), code="out_before_in", field="checked_out_at")
    if checked_in_at < session.starts_at - _margin() or checked_out_at > session.ends_at + _margin():
        raise InvalidInput(_("The times must be around the session's own."), code="outside_session")
    if checked_out_at > clock.now():
        raise InvalidInput(_("Check-out cannot be in the future."), code="future", field="checked_out_at")
    attendance = Attendance.objects.select_for_update().filter(session=session, person=person).first()
    minutes = session_minutes(session, checked_in_at, checked_out_at)
    if attendance is None:
        attendance = Attendance.objects.create(
            session=session,
            person=person,
            checked_in_at=checked_in_at,
            checked_out_at=checked_out_at,
            minutes=minutes,
            method=Attendance.Method.LIST,
            recorded_by=by,
        )
        action = "attend"
    else:
        if attendance.checked_out_at is not None:
            reason = (reason or "").strip()
            if not reason:
                raise InvalidInput(_("Give the reason for the correction."), code="reason_required", field="reason")
            _undo(attendance, by, reason)
            attendance.corrections += 1
        attendance.checked_in_at, attendance.checked_out_at, attendance.minutes = checked_in_at, checked_out_at, minutes
        attendance.recorded_by, attendance.method = by, Attendance.Method.LIST
        attendance.save()
        action = "correct" if attendance.corrections else "attend"
    _credit(attendance, activity, by)
    attendance.save(update_fields=["transfer"])
    _log(activity, action, by, person=person, note=f"{minutes} {reason}".strip())
    return attendance


def hours_transfer(attendance: Attendance) -> TimeTransfer | None:
    return attendance.transfer


# --- fitness --------------------------------------------------------------------------------------------------


@transaction.atomic
def create_spot(
    *, by: User, community: Region, name: str, lon: float | None = None, lat: float | None = None
) -> FitnessSpot:
    if not scopes.manages(by, community):
        raise PermissionDenied(_("Only the community's staff may do this."), code="not_a_manager")
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise InvalidInput(_("Give the spot a name (at most 60 characters)."), code="name_required", field="name")
    return FitnessSpot.objects.create(community=community, name=name, lon=lon, lat=lat, code=new_code())


@dataclass
class CheckedIn:
    checkin: FitnessCheckin
    new: bool  # False: already checked in at this spot today
    month: int = field(default=0)  # the resident's check-ins this month, every spot


@transaction.atomic
def fitness_check_in(code: str, *, by: User) -> CheckedIn:
    """A resident scanned a fitness spot's QR code: one check-in a day per spot."""
    person = _resident(by)
    spot = FitnessSpot.objects.filter(code=(code or "")[:32], active=True).first()
    if spot is None or not code:
        raise NotFound()
    now = clock.now()
    day = timezone.localdate(now)
    checkin, created = FitnessCheckin.objects.get_or_create(spot=spot, person=person, day=day, defaults={"at": now})
    month = FitnessCheckin.objects.filter(person=person, day__year=day.year, day__month=day.month).count()
    return CheckedIn(checkin, created, month)
