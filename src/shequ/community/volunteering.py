"""Volunteers and teams: every write. Volunteers are people of the base (one ``Volunteer`` row beside their
``Person``); a resident registers themself in the portal, staff register people of their area.

Rules:
- A resident registers only themself, for one of their home communities; staff register people living in their
  area, for a community they manage.
- Teams belong to a community; its managers create them and choose members and leaders among its volunteers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied
from shequ.geo.models import Region
from shequ.registry.models import Person
from shequ.registry.queries import scoped_people

from . import scopes
from .models import Availability, Skill, Team, TeamMember, Volunteer


@dataclass(frozen=True, kw_only=True)
class Profile:
    skills: Sequence[Skill] = ()
    availability: Sequence[str] = ()
    note: str = ""


def _clean(profile: Profile) -> tuple[list[Skill], str, str]:
    allowed = set(Availability.values)
    slots = [s for s in Availability.values if s in set(profile.availability)]
    if set(profile.availability) - allowed:
        raise InvalidInput(_("Unknown availability."), code="bad_availability", field="availability")
    note = (profile.note or "").strip()
    if len(note) > 200:
        raise InvalidInput(_("The note is too long (at most 200 characters)."), field="note")
    return list(profile.skills), Volunteer.pack(slots), note


def may_register(by: User, person: Person, community: Region) -> bool:
    if scopes.person_for(by) == person:
        return scopes.lives_in(person, community)
    return scopes.manages(by, community) and scoped_people(by).filter(pk=person.pk).exists()


@transaction.atomic
def register(*, by: User, person: Person, community: Region, profile: Profile) -> Volunteer:
    """Make a person of the base a volunteer of a community (or take back one who had left)."""
    if not may_register(by, person, community):
        raise PermissionDenied(_("You may not register this person here."), code="not_allowed")
    skills, slots, note = _clean(profile)
    volunteer = Volunteer.objects.select_for_update().filter(person=person).first()
    if volunteer is not None and volunteer.state == Volunteer.State.ACTIVE:
        raise InvalidTransition(_("Already a volunteer."), code="already_volunteer")
    if volunteer is None:
        volunteer = Volunteer(person=person)
    volunteer.community = community
    volunteer.availability, volunteer.note = slots, note
    volunteer.state = Volunteer.State.ACTIVE
    volunteer.registered_by = by
    volunteer.joined_at = clock.now()
    volunteer.save()
    volunteer.skills.set(skills)
    if by.is_staff_role:
        audit.record("write", actor=by, target=volunteer, detail={"action": "register_volunteer"})
    return volunteer


def _may_edit(by: User, volunteer: Volunteer) -> bool:
    return scopes.person_for(by) == volunteer.person or scopes.manages(by, volunteer.community)


@transaction.atomic
def update(volunteer: Volunteer, *, by: User, profile: Profile) -> Volunteer:
    if not _may_edit(by, volunteer):
        raise PermissionDenied(_("You may not change this volunteer."), code="not_allowed")
    skills, slots, note = _clean(profile)
    volunteer.availability, volunteer.note = slots, note
    volunteer.save(update_fields=["availability", "note"])
    volunteer.skills.set(skills)
    return volunteer


@transaction.atomic
def leave(volunteer: Volunteer, *, by: User) -> Volunteer:
    """Stop volunteering (hours already given stay in the time bank; team memberships end)."""
    if not _may_edit(by, volunteer):
        raise PermissionDenied(_("You may not change this volunteer."), code="not_allowed")
    volunteer.state = Volunteer.State.LEFT
    volunteer.save(update_fields=["state"])
    volunteer.memberships.all().delete()
    return volunteer


def _require_manager(by: User, community: Region) -> None:
    if not scopes.manages(by, community):
        raise PermissionDenied(_("Only the community's staff may do this."), code="not_a_manager")


@transaction.atomic
def create_team(*, by: User, community: Region, name: str, description: str = "") -> Team:
    _require_manager(by, community)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise InvalidInput(_("Give the team a name (at most 60 characters)."), code="name_required", field="name")
    if Team.objects.filter(community=community, name=name).exists():
        raise InvalidInput(_("The community already has a team of this name."), code="team_exists", field="name")
    team = Team.objects.create(community=community, name=name, description=(description or "").strip()[:300])
    audit.record("write", actor=by, target=team, detail={"action": "create_team"})
    return team


@transaction.atomic
def add_member(team: Team, *, by: User, volunteer: Volunteer, leader: bool = False) -> TeamMember:
    """A volunteer of the team's community joins it (or becomes, or stops being, its leader)."""
    _require_manager(by, team.community)
    if volunteer.community_id != team.community_id or volunteer.state != Volunteer.State.ACTIVE:
        raise InvalidInput(_("Only active volunteers of this community can join the team."), code="not_eligible")
    member, created = TeamMember.objects.get_or_create(team=team, volunteer=volunteer, defaults={"leader": leader})
    if not created and member.leader != leader:
        member.leader = leader
        member.save(update_fields=["leader"])
    return member


@transaction.atomic
def remove_member(member: TeamMember, *, by: User) -> None:
    _require_manager(by, member.team.community)
    member.delete()


def leads(user: User, team: Team | None) -> bool:
    """The user is an active volunteer leading this team."""
    person = scopes.person_for(user)
    if team is None or person is None:
        return False
    return TeamMember.objects.filter(
        team=team, leader=True, volunteer__person=person, volunteer__state=Volunteer.State.ACTIVE
    ).exists()


def led_teams(user: User) -> list[Team]:
    person = scopes.person_for(user)
    if person is None:
        return []
    return list(
        Team.objects.filter(
            members__leader=True, members__volunteer__person=person, members__volunteer__state=Volunteer.State.ACTIVE
        ).order_by("name")
    )


def active_volunteer(person: Person | None) -> Volunteer | None:
    if person is None:
        return None
    return Volunteer.objects.filter(person=person, state=Volunteer.State.ACTIVE).first()
