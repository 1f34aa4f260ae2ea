"""The time bank (时间银行) beyond volunteering at activities: hours moved within a family, hours the community grants,
services asked of volunteers and paid in hours, and staff corrections.

Rules:
- A family is the people of one household of the base (current residences in the same ``Household``). A member
  moves their own hours to another member or into the household's account, and from the household's account to
  themself.
- A community's managers grant hours from the community's pool to a resident or a household of the community
  (an elderly neighbour with no hours of their own), and correct any posting that touches their community's pool
  by reversing it; both are on the audit trail.
- A help request is paid when the requester confirms it was done: the minutes move from the requester's (or their
  household's) account to the helper's, refused like any posting below the floor.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied
from shequ.geo.models import Region
from shequ.registry.models import Household, Person
from shequ.registry.queries import current_residences

from . import ledger, scopes, volunteering
from .ledger import TIME
from .models import AccountKind, HelpRequest, TimeAccount, TimeTransfer

MAX_MINUTES = 24 * 60 * 30  # a month of days: larger amounts are typing mistakes


def households_of(person: Person) -> list[Household]:
    ids = current_residences().filter(person=person, household__isnull=False).values_list("household", flat=True)
    return list(Household.objects.filter(pk__in=ids).order_by("pk"))


def family_of(person: Person) -> list[Person]:
    """The other people living now in the person's households."""
    households = households_of(person)
    if not households:
        return []
    ids = current_residences().filter(household__in=households).exclude(person=person).values_list("person", flat=True)
    return list(Person.objects.current().filter(pk__in=ids).order_by("name", "pk"))


def _minutes(value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0 or value > MAX_MINUTES:
        raise InvalidInput(
            _("Give a whole number of minutes from 1 to %(n)s.") % {"n": MAX_MINUTES},
            code="bad_minutes",
            field="minutes",
        )
    return value


def _me(by: User) -> Person:
    person = scopes.person_for(by)
    if person is None:
        raise PermissionDenied(_("Your account is not linked to a resident record yet."), code="no_person")
    return person


@transaction.atomic
def family_transfer(
    *,
    by: User,
    minutes: int,
    key: str,
    to_person: Person | None = None,
    to_household: Household | None = None,
    from_household: Household | None = None,
) -> TimeTransfer:
    """Move hours within the family: to a member, into a household account, or out of it to oneself."""
    me = _me(by)
    minutes = _minutes(minutes)
    mine = households_of(me)
    if from_household is not None:
        if from_household not in mine or to_person is not None or to_household is not None:
            raise PermissionDenied(_("You may take hours only from your own household's account."), code="not_family")
        debit, credit = ledger.household_account(from_household), ledger.person_account(TIME, me)
    elif to_household is not None:
        if to_household not in mine:
            raise PermissionDenied(_("This is not your household."), code="not_family")
        debit, credit = ledger.person_account(TIME, me), ledger.household_account(to_household)
    elif to_person is not None:
        if to_person not in family_of(me):
            raise PermissionDenied(_("You may move hours only to members of your household."), code="not_family")
        debit, credit = ledger.person_account(TIME, me), ledger.person_account(TIME, to_person)
    else:
        raise InvalidInput(_("Choose whom the hours go to."), code="recipient_required", field="to")
    # The key is the member's own: a retry posts once, and two members' keys never collide.
    return ledger.post(
        TIME, debit=debit, credit=credit, amount=minutes, kind="family", key=f"family:{me.pk}:{key}", by=by
    )


@transaction.atomic
def grant(
    *,
    by: User,
    community: Region,
    minutes: int,
    reason: str,
    key: str,
    person: Person | None = None,
    household: Household | None = None,
) -> TimeTransfer:
    """Hours from the community's pool to a resident or household living in it."""
    if not scopes.manages(by, community):
        raise PermissionDenied(_("Only the community's staff may grant hours."), code="not_a_manager")
    minutes = _minutes(minutes)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason."), code="reason_required", field="reason")
    if household is not None:
        code = household.dwelling.building.grid.code
        if not code.startswith(community.code):
            raise InvalidInput(_("This household lives elsewhere."), code="other_community", field="household")
        credit = ledger.household_account(household)
    elif person is not None:
        if not scopes.lives_in(person, community):
            raise InvalidInput(_("This resident lives elsewhere."), code="other_community", field="person")
        credit = ledger.person_account(TIME, person)
    else:
        raise InvalidInput(_("Choose whom the hours go to."), code="recipient_required", field="to")
    transfer = ledger.post(
        TIME,
        debit=ledger.pool_account(TIME, community),
        credit=credit,
        amount=minutes,
        kind="grant",
        key=f"grant:{key}",
        by=by,
        memo=reason,
    )
    audit.record("write", actor=by, target=transfer, detail={"action": "grant_hours", "minutes": minutes})
    return transfer


def pool_community(transfer: TimeTransfer) -> Region | None:
    for account in (transfer.debit, transfer.credit):
        if account.kind == AccountKind.POOL:
            return account.community
    return None


@transaction.atomic
def correct(transfer: TimeTransfer, *, by: User, reason: str) -> TimeTransfer:
    """Reverse a posting into or out of a community's pool, by that community's managers."""
    community = pool_community(transfer)
    if community is None or not scopes.manages(by, community):
        raise PermissionDenied(_("Only the community's staff may correct this posting."), code="not_a_manager")
    reversal = ledger.reverse(TIME, transfer, by=by, reason=reason)
    audit.record("write", actor=by, target=transfer, purpose=reason, detail={"action": "reverse_hours"})
    return reversal


# --- help requests --------------------------------------------------------------------------------------------


def _account_for(request: HelpRequest) -> TimeAccount:
    if request.pay_from == HelpRequest.PayFrom.HOUSEHOLD:
        households = households_of(request.requester)
        if not households:
            raise InvalidTransition(_("Your household is not recorded in the base."), code="no_household")
        return ledger.household_account(households[0])
    return ledger.person_account(TIME, request.requester)


@transaction.atomic
def request_help(
    *, by: User, title: str, wanted_at: datetime, minutes: int, description: str = "", pay_from: str = "person"
) -> HelpRequest:
    """A resident asks the volunteers of their community for a service worth ``minutes``."""
    me = _me(by)
    communities = scopes.home_communities(by)
    if not communities:
        raise PermissionDenied(_("You have no home in the base."), code="no_home")
    title = (title or "").strip()
    if not title or len(title) > 80:
        raise InvalidInput(_("Say what help you need (at most 80 characters)."), code="title_required", field="title")
    if pay_from not in HelpRequest.PayFrom.values:
        raise InvalidInput(_("Choose whose hours pay."), code="bad_pay_from", field="pay_from")
    if pay_from == HelpRequest.PayFrom.HOUSEHOLD and not households_of(me):
        raise InvalidInput(_("Your household is not recorded in the base."), code="no_household", field="pay_from")
    return HelpRequest.objects.create(
        requester=me,
        community=communities[0],
        title=title,
        description=(description or "").strip()[:2000],
        wanted_at=wanted_at,
        minutes=_minutes(minutes),
        pay_from=pay_from,
    )


def _locked(request: HelpRequest) -> HelpRequest:
    return (
        HelpRequest.objects.select_for_update(of=("self",))
        .select_related("requester", "helper__person")
        .get(pk=request.pk)
    )


@transaction.atomic
def take_help(request: HelpRequest, *, by: User) -> HelpRequest:
    """An active volunteer of the request's community takes it."""
    request = _locked(request)
    volunteer = volunteering.active_volunteer(scopes.person_for(by))
    if volunteer is None or volunteer.community_id != request.community_id:
        raise PermissionDenied(_("Only volunteers of this community can take it."), code="not_a_volunteer")
    if volunteer.person_id == request.requester_id:
        raise InvalidTransition(_("You cannot help yourself here."), code="own_request")
    if request.state != HelpRequest.State.OPEN:
        raise InvalidTransition(_("Someone has already taken this request."), code="not_open")
    request.state, request.helper, request.taken_at = HelpRequest.State.TAKEN, volunteer, clock.now()
    request.save(update_fields=["state", "helper", "taken_at"])
    return request


@transaction.atomic
def confirm_help(request: HelpRequest, *, by: User, minutes: int | None = None) -> HelpRequest:
    """The requester confirms the help was given: the hours (those offered, or fewer) go to the helper."""
    request = _locked(request)
    if scopes.person_for(by) != request.requester:
        raise PermissionDenied(_("Only the person who asked confirms it."), code="not_requester")
    if request.state != HelpRequest.State.TAKEN or request.helper is None:
        raise InvalidTransition(_("Nobody has taken this request yet."), code="not_taken")
    paid = request.minutes if minutes is None else _minutes(minutes)
    if paid > request.minutes:
        raise InvalidInput(_("At most the minutes offered."), code="too_many_minutes", field="minutes")
    request.transfer = ledger.post(
        TIME,
        debit=_account_for(request),
        credit=ledger.person_account(TIME, request.helper.person),
        amount=paid,
        kind="help",
        key=f"help:{request.pk}",
        by=by,
        memo=request.title,
    )
    request.state, request.done_at = HelpRequest.State.DONE, clock.now()
    request.save(update_fields=["transfer", "state", "done_at"])
    return request


@transaction.atomic
def cancel_help(request: HelpRequest, *, by: User) -> HelpRequest:
    """The requester withdraws an open or taken request; the helper may give back one they took (it opens again)."""
    request = _locked(request)
    me = scopes.person_for(by)
    if request.state not in (HelpRequest.State.OPEN, HelpRequest.State.TAKEN):
        raise InvalidTransition(_("This request is already closed."), code="closed")
    if me is not None and me == request.requester:
        request.state = HelpRequest.State.CANCELLED
    elif request.helper is not None and me is not None and me.pk == request.helper.person_id:
        request.state, request.helper, request.taken_at = HelpRequest.State.OPEN, None, None
    else:
        raise PermissionDenied(_("You may not change this request."), code="not_allowed")
    request.save(update_fields=["state", "helper", "taken_at"])
    return request
