"""The one place that says which area a user may see and at which desk level they act.

Domain queries (``events.queries.events_for`` and the like) build their filters
from these functions, so every page, API call and export applies the same scope.
"""

from __future__ import annotations

from django.utils import timezone

from shequ.geo.models import LEVEL_ORDER, Region, RegionLevel

from .models import DESK_ROLES, ROLE_LEVEL, ApiToken, Role, User


def area_prefix(user: User) -> str | None:
    """The region-code prefix of everything the user's area covers.

    ``""`` means everywhere (administrators); ``None`` means no area at all
    (residents, unit handlers and systems see by other rules).
    """
    if user.sees_everything:
        return ""
    region = user.region
    if user.role in ROLE_LEVEL and region is not None:
        return region.code
    return None


def manages_area(user: User) -> bool:
    """Community staff and above with an area, and administrators: those who look after their area's data
    (records, imports, collection tasks, notices, alerts). Grid workers collect; they do not manage."""
    return user.is_authenticated and (user.sees_everything or (user.role in DESK_ROLES and user.region_id is not None))


def covers(user: User, area_code: str) -> bool:
    prefix = area_prefix(user)
    return prefix is not None and area_code.startswith(prefix)


def regions_for(user: User):
    """Regions the user may see: their area and everything below it."""
    prefix = area_prefix(user)
    if prefix is None:
        return Region.objects.none()
    return Region.objects.filter(code__startswith=prefix)


def acts_at_desk(user: User, desk: Region) -> bool:
    """A dispatch-desk role acts on a desk at its own level or below, inside its area."""
    if user.sees_everything:
        return True
    region = user.region
    if user.role not in DESK_ROLES or region is None:
        return False
    own_rank = LEVEL_ORDER.index(ROLE_LEVEL[Role(user.role)])
    return desk.code.startswith(region.code) and LEVEL_ORDER.index(RegionLevel(desk.level)) >= own_rank


def user_for_token(key: str) -> tuple[User, ApiToken] | None:
    """The active user behind an API key, or None. Records when the token was last used."""
    token = (
        ApiToken.objects.select_related("user", "user__region", "user__unit")
        .filter(key_hash=ApiToken.hash(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, token
