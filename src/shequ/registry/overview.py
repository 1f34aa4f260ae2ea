"""The grid overview of the community base: per grid of the user's area, people, households, dwellings, organisations,
people by residency and by tag, and their sum.

Grouped counts over the grids' current residences, a few queries for a whole area; a street's or the district's
are cached for a few minutes. The grids themselves are the access point's (``queries.grids_for``).
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q

from shequ.access.models import User
from shequ.access.scopes import area_prefix
from shequ.core import clock
from shequ.geo.models import Dwelling, Region

from .models import Change, Household, Organization
from .queries import SMALL_AREA_CODE, current_residences, grids_for


def area_counts(grids: list[Region]) -> dict[str, dict[str, Any]]:
    """Per grid code: people, households, dwellings, organisations, people by residency and by tag.

    Grouped counts over the grids' current residences (a few queries for a whole area, not one per grid)."""
    codes = [g.code for g in grids]
    counts: dict[str, dict[str, Any]] = {
        code: {"people": 0, "households": 0, "dwellings": 0, "organizations": 0, "residency": {}, "tags": {}}
        for code in codes
    }
    if not codes:
        return counts
    grid_key = "dwelling__building__grid__code"
    residences = current_residences().filter(**{f"{grid_key}__in": codes}, person__merged_into__isnull=True)
    # Residency is the person's, so people per grid is the sum over residency (one pass over the residences).
    by_residency = residences.values(grid_key, "person__residency").annotate(n=Count("person", distinct=True))
    for row in by_residency:
        counts[row[grid_key]]["residency"][row["person__residency"] or ""] = row["n"]
        counts[row[grid_key]]["people"] += row["n"]
    for row in (
        Household.objects.filter(dwelling__building__grid__code__in=codes).values(grid_key).annotate(n=Count("pk"))
    ):
        counts[row[grid_key]]["households"] = row["n"]
    for row in (
        Dwelling.objects.filter(building__grid__code__in=codes).values("building__grid__code").annotate(n=Count("pk"))
    ):
        counts[row["building__grid__code"]]["dwellings"] = row["n"]
    for row in (
        Organization.objects.filter(premises__building__grid__code__in=codes)
        .values("premises__building__grid__code")
        .annotate(n=Count("pk"))
    ):
        counts[row["premises__building__grid__code"]]["organizations"] = row["n"]
    # The tag's grid is the person's current residence; one filter() call so the tag conditions and the grouped
    # tag code share one join (an ended tag must not be counted by way of another row).
    today = clock.now().date()
    tag_rows = (
        residences.filter(
            Q(person__tags__since__lte=today) & (Q(person__tags__until__isnull=True) | Q(person__tags__until__gt=today))
        )
        .values(grid_key, "person__tags__tag__code")
        .annotate(n=Count("person", distinct=True))
    )
    for row in tag_rows:
        counts[row[grid_key]]["tags"][row["person__tags__tag__code"]] = row["n"]
    return counts


OVERVIEW_SECONDS = 300


def area_overview(user: User) -> tuple[list[Region], dict[str, dict[str, Any]]]:
    """The user's grids and their ``area_counts``.

    A street's or the district's counts group every resident (seconds over a million people), so they are cached
    for a few minutes; the key holds the newest Change id, so any write through ``actions`` refreshes them."""
    grids = list(grids_for(user))
    prefix = area_prefix(user)
    if prefix is None or len(prefix) >= SMALL_AREA_CODE:
        return grids, area_counts(grids)
    newest = Change.objects.order_by("-id").values_list("id", flat=True).first() or 0
    key = f"registry:overview:{prefix or 'all'}:{newest}:{len(grids)}:{clock.now().date().isoformat()}"
    counts = cache.get(key)
    if counts is None or any(g.code not in counts for g in grids):
        counts = area_counts(grids)
        cache.set(key, counts, OVERVIEW_SECONDS)
    return grids, counts


def totals(counts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The sum of ``area_counts`` rows (people living in two grids of the area count twice, as in each row)."""
    total: dict[str, Any] = {
        "people": 0,
        "households": 0,
        "dwellings": 0,
        "organizations": 0,
        "residency": {},
        "tags": {},
    }
    for row in counts.values():
        for key in ("people", "households", "dwellings", "organizations"):
            total[key] += row[key]
        for key in ("residency", "tags"):
            for name, n in row[key].items():
                total[key][name] = total[key].get(name, 0) + n
    return total
