"""Who is who in community life, in one place: a resident's person and home communities, the communities a staff
member covers or manages, a property company's communities, and the leaders of volunteer teams.

Everything here is built on ``access.scopes`` and the registry's access point; pages, the API and the actions ask
these functions and nothing else.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shequ.access.models import Role, User
from shequ.access.scopes import area_prefix, manages_area
from shequ.geo.models import Region, RegionLevel
from shequ.registry.models import Person
from shequ.registry.queries import current_residences, person_of

COMMUNITY_CODE = 12  # digits of a community's code
GRID_KEY = "dwelling__building__grid__code"


def person_for(user: User) -> Person | None:
    """The resident's person in the base (their portal account is linked to it), or None."""
    return person_of(user) if getattr(user, "is_authenticated", False) else None


def home_community_codes(person: Person | None) -> list[str]:
    """The codes of the communities holding the person's current homes."""
    if person is None:
        return []
    grids = current_residences().filter(person=person).values_list(GRID_KEY, flat=True)
    return sorted({code[:COMMUNITY_CODE] for code in grids if code})


def home_communities(user: User) -> list[Region]:
    codes = home_community_codes(person_for(user))
    return list(Region.objects.filter(code__in=codes, level=RegionLevel.COMMUNITY).order_by("code"))


def lives_in(person: Person | None, community: Region | str) -> bool:
    code = community.code if isinstance(community, Region) else community
    return code in home_community_codes(person)


def staff_area(user: User) -> Q | None:
    """A filter on ``community__code`` for what a staff member covers: the communities inside their area, and a
    grid worker's own community. None: no staff area at all."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff_role:
        return None
    prefix = area_prefix(user)
    if prefix is None:
        return None
    if prefix == "":
        return Q()
    if len(prefix) > COMMUNITY_CODE:  # a grid worker: the community their grid belongs to
        return Q(community__code=prefix[:COMMUNITY_CODE])
    return Q(community__code__startswith=prefix)


def covers(user: User, community: Region | str) -> bool:
    """The staff member's area holds the community (or, for a grid worker, their grid lies in it)."""
    code = community.code if isinstance(community, Region) else community
    prefix = area_prefix(user) if getattr(user, "is_authenticated", False) and user.is_staff_role else None
    if prefix is None:
        return False
    return code.startswith(prefix) or prefix[:COMMUNITY_CODE] == code


def manages(user: User, community: Region | str) -> bool:
    """Community staff and above (and administrators) whose area holds the community: they run its activities,
    rules, shop, deliberation, votes and moderation."""
    code = community.code if isinstance(community, Region) else community
    if not manages_area(user):
        return False
    prefix = area_prefix(user)
    return prefix is not None and code.startswith(prefix)


def managed_communities(user: User) -> QuerySet[Region]:
    """The communities a manager may choose in forms."""
    if not manages_area(user):
        return Region.objects.none()
    prefix = area_prefix(user) or ""
    return Region.objects.filter(level=RegionLevel.COMMUNITY, code__startswith=prefix).order_by("code")


def covered_communities(user: User) -> QuerySet[Region]:
    area = staff_area(user)
    if area is None:
        return Region.objects.none()
    prefix = area_prefix(user) or ""
    qs = Region.objects.filter(level=RegionLevel.COMMUNITY)
    if len(prefix) > COMMUNITY_CODE:
        return qs.filter(code=prefix[:COMMUNITY_CODE])
    return qs.filter(code__startswith=prefix).order_by("code")


def property_community_codes(user: User) -> list[str]:
    """A property company's communities: those holding a building its unit manages."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.PROPERTY_COMPANY or not user.unit_id:
        return []
    from shequ.geo.models import Building

    grids = Building.objects.filter(managed_by_id=user.unit_id).values_list("grid__code", flat=True)
    return sorted({code[:COMMUNITY_CODE] for code in grids})


def is_property(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.role == Role.PROPERTY_COMPANY and user.unit_id)
