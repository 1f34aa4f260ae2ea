"""After an alert: who still needs a call or a visit, what the grid worker found, and the board per grid.

The follow-up list is built from the alert's target (not from the deliveries), so a vulnerable resident with
no phone and no portal account is on it too: everyone tagged vulnerable (``SHEQU_ALERT_VULNERABLE_TAGS``) who
lives in the area, has not answered ``SHEQU_ALERT_FOLLOWUP_MINUTES`` after approval, and lives in the user's area
(``registry.queries.people_for``: a grid worker sees their grid).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.access.scopes import area_prefix, clearance
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied
from shequ.geo.models import Region
from shequ.registry.models import Person
from shequ.registry.queries import current_residences, get_person_for, people_for

from . import targeting
from .answers import request_help
from .fanout import open_tag, vulnerable_tags
from .models import (
    REACHED,
    Ack,
    AckChannel,
    Alert,
    AlertEntry,
    Delivery,
    DeliveryStatus,
    FollowUp,
    MsgType,
    Outcome,
    State,
)

REACHED_OUTCOMES = (Outcome.REACHED_SAFE, Outcome.REACHED_NEEDS_HELP)


def window() -> timedelta:
    return timedelta(minutes=settings.SHEQU_ALERT_FOLLOWUP_MINUTES)


def follow_up_from(alert: Alert) -> datetime | None:
    """When the list opens: the window after approval. None for alerts nobody answers (drafts, cancels)."""
    if alert.state != State.APPROVED or alert.approved_at is None or alert.msg_type == MsgType.CANCEL:
        return None
    return alert.approved_at + window()


def may_follow_up(user: User) -> bool:
    return user.is_authenticated and user.is_staff_role and area_prefix(user) is not None


def follow_up_people(alert: Alert, *, user: User) -> QuerySet[Person]:
    """Vulnerable residents of the alert's area in the user's area who had not answered when the window closed,
    annotated with their latest follow-up (``outcome``) and tags; an empty set before the window closes."""
    opens = follow_up_from(alert)
    if opens is None or clock.now() < opens or not may_follow_up(user):
        return Person.objects.none()
    target = targeting.resolve(targeting.Area.of(alert))
    answered = Delivery.objects.filter(alert=alert, person_id=OuterRef("pk"), acknowledged_at__lte=opens)
    latest = FollowUp.objects.filter(alert=alert, person_id=OuterRef("pk")).order_by("-at", "-id")
    home = current_residences().filter(person_id=OuterRef("pk")).order_by("start", "pk")
    return (
        people_for(user)
        .filter(pk__in=target.residents.values("pk"))
        .filter(Exists(open_tag(vulnerable_tags()).filter(person_id=OuterRef("pk"))))
        .exclude(Exists(answered))
        .annotate(
            outcome=Subquery(latest.values("outcome")[:1]),
            followed_at=Subquery(latest.values("at")[:1]),
            address=Subquery(home.values("dwelling__building__address")[:1]),
            room=Subquery(home.values("dwelling__room")[:1]),
            answer=Subquery(
                Delivery.objects.filter(alert=alert, person_id=OuterRef("pk")).exclude(ack="").values("ack")[:1]
            ),
        )
        .order_by("name", "pk")
    )


def _done(person: Person) -> bool:
    """Reached by the worker, or answered late by themselves (annotations of ``follow_up_people``)."""
    return bool(getattr(person, "answer", None)) or getattr(person, "outcome", None) in REACHED_OUTCOMES


@dataclass(frozen=True)
class FollowUpRow:
    person: Person
    tags: list[str]
    done: bool


def follow_up_rows(alert: Alert, *, user: User) -> list[FollowUpRow]:
    """The list as a worker reads it: still to reach first (no try yet, or not reached), then the done ones."""
    people = list(follow_up_people(alert, user=user))
    codes = vulnerable_tags()
    tags: dict[int, list[str]] = {}
    # only tags at or below the worker's clear level are named (an L4 tag is not shown without a reveal)
    shown = open_tag(codes).filter(tag__sensitivity__lte=f"L{clearance(user).clear}")
    for person_id, name in shown.filter(person_id__in=[p.pk for p in people]).values_list("person_id", "tag__name"):
        tags.setdefault(person_id, []).append(name)
    rows = [FollowUpRow(person=p, tags=tags.get(p.pk, []), done=_done(p)) for p in people]
    return sorted(rows, key=lambda r: r.done)


@transaction.atomic
def record_follow_up(alert: Alert, *, person_pk, outcome: str, by: User, note: str = "") -> FollowUp:
    """What the call or visit found, one row each. Reached and safe / needing help also answers for the resident
    (the board counts them); needing help reports the one urgent event."""
    if outcome not in Outcome.values:
        raise InvalidInput(_("Choose what the call or visit found."), field="outcome")
    if not may_follow_up(by):
        raise PermissionDenied(_("Only staff with an area may record follow-ups."))
    opens = follow_up_from(alert)
    if opens is None or clock.now() < opens:
        raise InvalidTransition(_("The follow-up list of this alert is not open."))
    person = get_person_for(by, person_pk)  # outside the user's area: not found
    if not follow_up_people(alert, user=by).filter(pk=person.pk).exists():
        raise InvalidInput(_("This person is not on the follow-up list of this alert."), field="person")
    row = FollowUp.objects.create(alert=alert, person=person, outcome=outcome, note=note.strip()[:1000], by=by)
    AlertEntry.objects.create(
        alert=alert,
        action="follow_up",
        actor=by,
        from_state=alert.state,
        to_state=alert.state,
        note=f"{person.name}: {Outcome(outcome).label}" + (f" ({row.note})" if row.note else ""),
        at=row.at,
    )
    answer = {Outcome.REACHED_SAFE: Ack.SAFE, Outcome.REACHED_NEEDS_HELP: Ack.NEED_HELP}.get(Outcome(outcome))
    if answer:
        Delivery.objects.filter(alert=alert, person=person).update(
            ack=answer, ack_channel=AckChannel.FOLLOW_UP, acknowledged_at=row.at, status=DeliveryStatus.ACKNOWLEDGED
        )
    if answer == Ack.NEED_HELP:
        request_help(alert, person, by=by, note=row.note)
    return row


# --- the board ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridCounts:
    code: str
    name: str
    people: int
    reached: int
    acknowledged: int
    need_help: int
    failed: int

    @property
    def not_reached(self) -> int:
        return self.people - self.reached


def board(alert: Alert, *, user: User) -> tuple[list[GridCounts], GridCounts]:
    """Residents per grid (inside the user's area): reached (a channel sent or delivered), answered, needing
    help, and not reached; and the totals. One grouped query over the alert's deliveries."""
    prefix = area_prefix(user)
    rows = Delivery.objects.filter(alert=alert, person__isnull=False)
    if prefix is None:
        rows = rows.none()
    elif prefix:
        rows = rows.filter(grid_code__startswith=prefix)
    counted = (
        rows.values("grid_code")
        .annotate(
            people=Count("person", distinct=True),
            reached=Count("person", distinct=True, filter=Q(status__in=REACHED)),
            acknowledged=Count("person", distinct=True, filter=~Q(ack="")),
            need_help=Count("person", distinct=True, filter=Q(ack=Ack.NEED_HELP)),
            failed=Count("person", distinct=True, filter=Q(status=DeliveryStatus.FAILED)),
        )
        .order_by("grid_code")
    )
    names = dict(Region.objects.filter(code__in=[r["grid_code"] for r in counted]).values_list("code", "name"))
    grids = [
        GridCounts(
            code=r["grid_code"],
            name=names.get(r["grid_code"], r["grid_code"] or "—"),
            people=r["people"],
            reached=r["reached"],
            acknowledged=r["acknowledged"],
            need_help=r["need_help"],
            failed=r["failed"],
        )
        for r in counted
    ]
    total = GridCounts(
        code="",
        name=_("Total"),
        **{f: sum(getattr(g, f) for g in grids) for f in ("people", "reached", "acknowledged", "need_help", "failed")},
    )
    return grids, total
