"""The one place that says which area a user may see and at which desk level they act.

Domain queries (``events.queries.events_for`` and the like) build their filters
from these functions, so every page, API call and export applies the same scope.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from shequ.core import bus
from shequ.geo.models import LEVEL_ORDER, Region, RegionLevel

from .models import DESK_ROLES, ROLE_LEVEL, ApiToken, Role, User

# --- clearance: how much of a record a grant shows ------------------------------------------------------


@dataclass(frozen=True)
class Clearance:
    """``clear``: the highest sensitivity level (1-4) shown in clear; ``reveal``: the highest that may be shown on
    an explicit, audited request with a purpose; ``property_only``: only the dictionary's property-visible fields
    exist at all (the rest are hidden, not masked)."""

    clear: int
    reveal: int
    property_only: bool = False


# (clear, reveal) per role: the defaults of a primary grant and of a Grant whose levels are left empty.
ROLE_CLEARANCE: dict[str, tuple[int, int]] = {
    Role.GRID_WORKER: (3, 4),
    Role.COMMUNITY_STAFF: (3, 4),
    Role.STREET_DISPATCHER: (2, 3),
    Role.DISTRICT_DISPATCHER: (2, 3),
    Role.UNIT_HANDLER: (2, 3),
    Role.ADMIN: (3, 4),
    Role.AUDITOR: (2, 2),
    Role.PROPERTY_COMPANY: (3, 3),
    Role.DATA_USER: (1, 1),
    Role.RESIDENT: (1, 1),  # a resident sees their own record in the portal, nothing of anyone else
    Role.SYSTEM: (1, 1),
    Role.PROVIDER: (1, 1),  # never reads the base: an order carries what its provider needs
}


def level_number(level: str) -> int:
    """ "L3" -> 3; anything else (an empty or unknown level) -> 0."""
    return int(level[1]) if len(level) == 2 and level[0] == "L" and level[1] in "1234" else 0


def clearance(user: User) -> Clearance:
    """The acting grant's clearance (an applied ``Grant``), else the role's default. Superusers count as admins."""
    if not getattr(user, "is_authenticated", False):
        return Clearance(0, 0)
    grant = getattr(user, "acting_grant", None)
    role = Role.ADMIN if user.is_superuser and grant is None else user.role
    clear, reveal = ROLE_CLEARANCE.get(role, (1, 1))
    if grant is not None:
        clear = level_number(grant.clear_level) or clear
        reveal = level_number(grant.reveal_level) or reveal
    return Clearance(clear, max(clear, reveal), property_only=user.role == Role.PROPERTY_COMPANY)


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


TOKENS_TOPIC = "access.tokens"
# Every API request begins with its token: the row with its user, grant and their regions, read once per process
# (a fifth of a report's time before, issue #16) and dropped on any edit of them (``token_rows_changed``).
_tokens = bus.Memo(TOKENS_TOPIC, "geo", ttl=10.0)  # short: a bulk update sends no signal
_last_used_written: dict[int, float] = {}  # token pk -> when this process last wrote last_used_at (monotonic)


def _token_row(key_hash: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("user", "user__region", "user__unit", "grant__region", "grant__unit")
        .filter(key_hash=key_hash, revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def user_for_token(key: str) -> tuple[User, ApiToken] | None:
    """The active user behind an API key, or None. Records when the token was last used."""
    key_hash = ApiToken.hash(key)
    token: ApiToken | None = _tokens.get(key_hash, lambda: _token_row(key_hash))  # type: ignore[assignment]
    if token is None:
        return None
    now = timezone.now()
    stale = token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60
    if stale and time.monotonic() - _last_used_written.get(token.pk, -1e9) > 60:  # the kept copy does not move
        _last_used_written[token.pk] = time.monotonic()
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    if token.grant is not None:
        from .grants import apply  # grants imports this module

        if not token.grant.active():
            return None  # a token bound to an expired grant acts as nobody
        apply(token.user, token.grant)
    return token.user, token


def token_rows_changed(sender: Any, **kwargs: Any) -> None:
    """A token, account, grant or unit was saved or deleted: every process reads its tokens again."""
    bus.changed(TOKENS_TOPIC)


def connect_token_memo() -> None:
    """From ``AccessConfig.ready``: every process that edits these rows tells the others."""
    from django.db.models.signals import post_delete, post_save

    from .models import Grant, Unit

    for model in (ApiToken, User, Grant, Unit):
        post_save.connect(token_rows_changed, sender=model, dispatch_uid=f"token_memo_save_{model.__name__}")
        post_delete.connect(token_rows_changed, sender=model, dispatch_uid=f"token_memo_delete_{model.__name__}")
