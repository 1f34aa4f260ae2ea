"""Reads of notices: the staff's scoped lists, what reaches a resident or a staff member, and who read what.

Out of scope looks like missing (``NotFound`` -> 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from shequ.access.models import User
from shequ.access.scopes import area_prefix
from shequ.core import clock
from shequ.core.errors import NotFound
from shequ.geo.models import Region, RegionLevel
from shequ.registry.models import PersonTag
from shequ.registry.queries import current_residences, open_tags, person_of, prefix_range

from .models import Notice, NoticeRead, State

LEVEL_LENGTHS = (6, 9, 12, 15)
GRID_KEY = "dwelling__building__grid__code"


def _regions() -> QuerySet:
    return Notice.regions.through.objects.filter(notice_id=OuterRef("pk"))


def _prefixes(code: str) -> list[str]:
    """The codes of the region and every region above it."""
    return [code[:n] for n in LEVEL_LENGTHS if n <= len(code)]


def _covering(codes: list[str]) -> Exists:
    """The notice has a region that is one of these regions or holds one of them."""
    return Exists(_regions().filter(region__code__in=sorted({p for c in codes for p in _prefixes(c)})))


def _in_force() -> Q:
    now = clock.now()
    return Q(state=State.PUBLISHED, publish_at__lte=now) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def _unread(user: User) -> Any:
    return ~Exists(NoticeRead.objects.filter(notice_id=OuterRef("pk"), user_id=user.pk))


def _newest_first(qs: QuerySet[Notice]) -> QuerySet[Notice]:
    return qs.order_by("-pinned", "-publish_at", "-id")


# --- staff: the notices they manage ------------------------------------------------------------------


def notices_for(user: User) -> QuerySet[Notice]:
    """Notices that touch the user's area: a region inside it, or a wider region that holds it."""
    prefix = area_prefix(user)
    if prefix is None or not user.is_staff_role:
        return Notice.objects.none()
    if prefix == "":
        return Notice.objects.all()
    inside = Exists(_regions().filter(prefix_range("region__code", prefix)))
    return Notice.objects.filter(inside | _covering([prefix]))


def get_notice_for(user: User, pk: Any) -> Notice:
    try:
        return notices_for(user).get(pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


# --- who a notice reaches ----------------------------------------------------------------------------


def home_grids(user: User) -> list[str]:
    """The grid codes of the resident's current dwellings (none when the account is not linked to a person)."""
    person = person_of(user)
    if person is None:
        return []
    return sorted(set(current_residences().filter(person=person).values_list(GRID_KEY, flat=True)))


def _tags_match(person_id: int) -> Q:
    """No tags on the notice, or the person holds one of them today."""
    tags = Notice.audience_tags.through.objects.filter(notice_id=OuterRef("pk"))
    held = PersonTag.objects.filter(open_tags(), person_id=person_id).values("tag_id")
    return ~Exists(tags) | Exists(tags.filter(tag_id__in=held))


def notices_for_resident(user: User) -> QuerySet[Notice]:
    """Published, in force, addressed to residents, for a region that holds the grid of one of the resident's
    current dwellings, and (when the notice has tags) only for holders of one of them. Pinned first, then newest;
    ``unread`` says whether the user has opened it."""
    grids = home_grids(user) if user.is_authenticated else []
    if not grids:
        return Notice.objects.none()
    person = person_of(user)
    assert person is not None
    qs = Notice.objects.filter(
        _in_force(), _covering(grids), _tags_match(person.pk), audience_roles__contains=",resident,"
    )
    return _newest_first(qs.annotate(unread=_unread(user)))


def get_resident_notice(user: User, pk: Any) -> Notice:
    try:
        return notices_for_resident(user).get(pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def notices_for_staff(user: User) -> QuerySet[Notice]:
    """Published notices in force addressed to the user's role, for a region that holds the user's area
    (a notice for a community reaches that community's grid workers, not the street above it)."""
    # Annotated even when empty: callers filter on ``unread`` (none() after annotate keeps the field).
    nothing = Notice.objects.annotate(unread=_unread(user)).none()
    if not user.is_authenticated or not user.is_staff_role:
        return nothing
    prefix = area_prefix(user)
    if not prefix:  # administrators and unit handlers are not an audience
        return nothing
    qs = Notice.objects.filter(_in_force(), _covering([prefix]), audience_roles__contains=f",{user.role},")
    return _newest_first(qs.annotate(unread=_unread(user)))


# --- read counts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridReads:
    grid: Region
    accounts: int  # residents of the grid with a portal account whom the notice addresses
    read: int  # those of them who opened it

    @property
    def percent(self) -> int:
        return round(100 * self.read / self.accounts) if self.accounts else 0


def notice_grids(notice: Notice, user: User) -> list[Region]:
    """The grids inside the notice's regions that the user's area also holds."""
    prefix = area_prefix(user)
    if prefix is None:
        return []
    codes = [r.code for r in notice.regions.all()]
    if not codes:
        return []
    inside = Q()
    for code in codes:
        inside |= prefix_range("code", code)
    return list(Region.objects.filter(inside, prefix_range("code", prefix), level=RegionLevel.GRID).order_by("code"))


def read_counts(notice: Notice, user: User) -> list[GridReads]:
    """Per grid of the notice's area (within the user's): residents with a portal account there (holding one of the
    notice's tags, when it has any) and how many of them read it. Two grouped queries for the whole area."""
    grids = notice_grids(notice, user)
    if not grids or ",resident," not in notice.audience_roles:
        return [GridReads(g, 0, 0) for g in grids]
    residences = current_residences().filter(
        **{f"{GRID_KEY}__in": [g.code for g in grids]},
        person__merged_into__isnull=True,
        person__account__isnull=False,
    )
    tag_ids = list(notice.audience_tags.values_list("pk", flat=True))
    if tag_ids:
        held = PersonTag.objects.filter(open_tags(), tag_id__in=tag_ids).values("person_id")
        residences = residences.filter(person_id__in=held)
    readers = NoticeRead.objects.filter(notice=notice).values("user_id")

    def grouped(qs: QuerySet) -> dict[str, int]:
        return {row[GRID_KEY]: row["n"] for row in qs.values(GRID_KEY).annotate(n=Count("person", distinct=True))}

    accounts = grouped(residences)
    read = grouped(residences.filter(person__account_id__in=readers))
    return [GridReads(g, accounts.get(g.code, 0), read.get(g.code, 0)) for g in grids]


def totals(rows: list[GridReads]) -> GridReads | None:
    if not rows:
        return None
    return GridReads(Region(name="", code=""), sum(r.accounts for r in rows), sum(r.read for r in rows))
