"""The two questions a department may ask (counts, membership), who may ask them, and the audit of each.

Every rule is here; ``api.py`` only parses and renders. See docs/stats.md for the suppression rule."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import Role, User
from shequ.audit.actions import Target
from shequ.core import clock
from shequ.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from shequ.geo.models import Region
from shequ.registry.queries import lives_in, people_with_id_number
from shequ.registry.validators import check_id_number

from . import queries
from .lattice import AGE_BANDS, ALL, HIDDEN, RESIDENCIES, SMALL, Areas, Cell, protect
from .models import Asker, MembershipCheck, Release

DIMENSIONS = ("area", "tag", "age_band", "residency")
DISTRICT_CODE_LENGTH = 6


class StatsInvalid(DomainError):
    """A question that cannot be answered as asked (unknown dimension, missing purpose, invalid ID number)."""

    status = 422
    code = "stats_invalid"


class RateLimited(DomainError):
    status = 429
    code = "stats_rate_limited"


# --- who may ask --------------------------------------------------------------------------------


def scope_root(user: User) -> str:
    """The region code under which the user may ask: a data user's region, the district for administrators."""
    if user.sees_everything:
        return ""
    if user.role == Role.DATA_USER:
        if user.region_id is None:
            raise PermissionDenied(_("This data user has no area to query yet."), code="stats_no_area")
        return user.region.code  # type: ignore[union-attr]  # region_id checked above
    raise PermissionDenied(
        _("Only department data users and administrators may query statistics."), code="stats_forbidden"
    )


def asker_key(user: User) -> str:
    """The asking department: the user's unit when they have one (colleagues share one ledger), else the user."""
    return f"unit:{user.unit_id}" if user.unit_id else f"user:{user.pk}"


def _region(root: str, code: str) -> Region:
    region = Region.objects.filter(code=code).first() if code.startswith(root) else None
    if region is None:
        raise NotFound(_("No such area, or it is outside the area you may query."), code="stats_area_not_found")
    return region


def _purpose(purpose: str) -> str:
    purpose = (purpose or "").strip()
    if not purpose:
        raise StatsInvalid(
            _("Say what the query is for (purpose): every statistics query is recorded with its purpose."),
            code="purpose_required",
            field="purpose",
        )
    return purpose


def _locked_asker(user: User) -> Asker:
    asker, _created = Asker.objects.get_or_create(key=asker_key(user))
    return Asker.objects.select_for_update().get(pk=asker.pk)


# --- counts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountQuery:
    area: str
    by: tuple[str, ...] = ()
    tag: str = ""
    residency: str = ""
    purpose: str = ""


@dataclass(frozen=True)
class Answer:
    region: Region
    query: CountQuery
    cells: list[tuple[Cell, str]]
    names: dict[str, str]

    @property
    def suppressed(self) -> int:
        return sum(1 for _cell, shown in self.cells if shown in (SMALL, HIDDEN))


def parse_by(raw: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """ "area,age_band" (or a list) -> ("area", "age_band"), at most two known, distinct dimensions."""
    parts = raw.split(",") if isinstance(raw, str) else [p for item in raw for p in item.split(",")]
    by = tuple(p.strip() for p in parts if p.strip())
    if any(d not in DIMENSIONS for d in by) or len(set(by)) != len(by) or len(by) > 2:
        raise StatsInvalid(
            _("Break counts down by one or two of: area, tag, age_band, residency."), code="stats_bad_by", field="by"
        )
    return by


def _check_query(q: CountQuery, region: Region, areas: Areas, tags: list[str]) -> None:
    if q.tag and q.tag not in tags:
        raise StatsInvalid(_("Unknown tag: %(tag)s.") % {"tag": q.tag}, code="stats_unknown_tag", field="tag")
    if q.residency and q.residency not in RESIDENCIES:
        raise StatsInvalid(
            _("Residency is one of: registered, floating, foreign, other."),
            code="stats_bad_residency",
            field="residency",
        )
    if ("tag" in q.by and q.tag) or ("residency" in q.by and q.residency):
        raise StatsInvalid(
            _("A dimension cannot be both a filter and a breakdown."), code="stats_filter_and_breakdown", field="by"
        )
    if "area" in q.by and not areas.children.get(region.code):
        raise StatsInvalid(_("This area has no smaller areas to break down by."), code="stats_no_subareas", field="by")


def _answer_cells(q: CountQuery, areas: Areas, tags: list[str]) -> list[Cell]:
    """The cells of the answer: every combination of the breakdowns, margins (ALL) included, total first."""
    values = {
        "area": (q.area, *areas.children.get(q.area, ())),
        "tag": (ALL, *tags),
        "age_band": (ALL, *AGE_BANDS),
        "residency": (ALL, *RESIDENCIES),
    }
    base = {"area": q.area, "tag": q.tag or ALL, "age_band": ALL, "residency": q.residency or ALL}
    cells = []
    for combo in itertools.product(*(values[d] for d in q.by)):
        cells.append(Cell(**{**base, **dict(zip(q.by, combo, strict=True))}))
    return cells


def _window_start() -> Any:
    return clock.now() - timedelta(days=settings.SHEQU_STATS_WINDOW_DAYS)


def _ledger(asker: Asker, root: str, tags: set[str]) -> dict[Cell, tuple[str, int]]:
    """Cells released to the asker inside the window under the root, for the given tags: cell -> (shown, count)."""
    out: dict[Cell, tuple[str, int]] = {}
    rows = asker.releases.filter(released_at__gte=_window_start()).order_by("released_at", "id")
    for key, shown, count in rows.values_list("cell", "shown", "count"):
        cell = Cell.parse(key)
        if cell.area.startswith(root) and cell.tag in tags:
            out.setdefault(cell, (shown, count))
    return out


def answer_counts(user: User, q: CountQuery, *, request: HttpRequest | None = None) -> Answer:
    """Counts for a department, suppressed so that no small cell can be read or worked out (docs/stats.md)."""
    root = scope_root(user)
    purpose = _purpose(q.purpose)
    region = _region(root, q.area)
    # The lattice reaches up to the asker's own region (the district for administrators), never above it.
    root = root or region.code[:DISTRICT_CODE_LENGTH]
    areas = queries.areas_under(root)
    all_tags = queries.person_tags()
    _check_query(q, region, areas, all_tags)
    tags = [ALL, *all_tags] if "tag" in q.by else [q.tag or ALL]
    cells = _answer_cells(q, areas, all_tags)
    truth = queries.Truth(areas, queries.leaf_counts(root, tags))
    with transaction.atomic():
        asker = _locked_asker(user)
        ledger = _ledger(asker, root, set(tags))
        released = {cell: shown for cell, (shown, _count) in ledger.items()}
        fresh = {cell: truth(cell) for cell in cells if cell not in released}
        shown = protect(released, fresh, areas, truth)
        now = clock.now()
        Release.objects.bulk_create(
            Release(asker=asker, cell=cell.key, count=n, shown=shown[cell], released_at=now)
            for cell, n in fresh.items()
        )
        answer = Answer(
            region=region,
            query=q,
            cells=[(cell, released.get(cell) or shown[cell]) for cell in cells],
            names=dict(Region.objects.filter(code__in={c.area for c in cells}).values_list("code", "name")),
        )
        audit.record(
            "stats.query",
            actor=user,
            request=request,
            target=Target(type="stats.area", id=region.code, area_code=region.code),
            purpose=purpose,
            detail={
                "by": list(q.by),
                "tag": q.tag,
                "residency": q.residency,
                "cells": len(cells),
                "suppressed": answer.suppressed,
                "complementary": sum(1 for _c, s in answer.cells if s == HIDDEN),
                "repeated": len(cells) - len(fresh),
            },
        )
    return answer


# --- membership ---------------------------------------------------------------------------------


def _id_reference(number: str) -> dict[str, str]:
    """What the audit keeps of an ID number: its keyed blind index when the crypto module is there, else nothing."""
    try:
        from shequ.core.crypto import blind_index  # helper module of the encryption at rest
    except ImportError:
        return {}
    return {"id_index": blind_index(number)}


def _count_check(user: User) -> None:
    """Refuse past the hourly limit; otherwise count this check (committed even if the number proves invalid)."""
    limit = settings.SHEQU_STATS_MEMBERSHIP_PER_HOUR
    with transaction.atomic():
        asker = _locked_asker(user)
        if asker.checks.filter(at__gte=clock.now() - timedelta(hours=1)).count() >= limit:
            raise RateLimited(
                _("Too many membership checks: at most %(n)d per hour for your department. Try again later.")
                % {"n": limit}
            )
        MembershipCheck.objects.create(asker=asker)


def check_membership(
    user: User, *, id_number: str, area: str, purpose: str, request: HttpRequest | None = None
) -> bool:
    """Whether the holder of the ID number lives in the area now. Only yes or no; the record never leaves."""
    root = scope_root(user)
    purpose = _purpose(purpose)
    region = _region(root, area)
    _count_check(user)
    target = Target(type="stats.area", id=region.code, area_code=region.code)
    try:
        number = check_id_number(id_number)
    except InvalidInput as exc:
        audit.record(
            "stats.membership",
            actor=user,
            request=request,
            target=target,
            fields=["person.id_number"],
            purpose=purpose,
            detail={"invalid": exc.code},
        )
        raise StatsInvalid(exc.message, code=exc.code, field="id_number") from None
    member = people_with_id_number(number).filter(merged_into__isnull=True).filter(lives_in(region.code)).exists()
    audit.record(
        "stats.membership",
        actor=user,
        request=request,
        target=target,
        fields=["person.id_number"],
        purpose=purpose,
        detail={**_id_reference(number), "member": member},
    )
    return member
