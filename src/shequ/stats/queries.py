"""The true counts behind the cells: people living now, each counted once, at their newest current residence.

A person with two current residences would otherwise count in both areas, and a parent area would no longer be
the sum of its children; counting each person at one place keeps the lattice additive, which is what the
differencing check reasons with.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, QuerySet, Value, When

from shequ.core import clock
from shequ.geo.models import Region
from shequ.registry.models import Residence, Tag, TagTarget
from shequ.registry.queries import current_residences, prefix_range

from .lattice import AGE_BANDS, ALL, RESIDENCIES, Areas, Cell

GRID = "dwelling__building__grid__code"
# The first age of each band but the first, in AGE_BANDS order.
BAND_STARTS = (18, 35, 60, 80)


def years_ago(today: date, years: int) -> date:
    """The date ``years`` before ``today`` (29 February falls back to the 28th)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def age_band(today: date) -> Case:
    """The person's age band at ``today`` in SQL: born after the date N years ago means younger than N."""
    cuts = [years_ago(today, n) for n in BAND_STARTS]
    whens = [When(person__birth_date__isnull=True, then=Value("unknown"))]
    whens += [When(person__birth_date__gt=cut, then=Value(band)) for cut, band in zip(cuts, AGE_BANDS, strict=False)]
    return Case(*whens, default=Value(AGE_BANDS[4]), output_field=CharField())


def primary_residences(prefix: str) -> QuerySet[Residence]:
    """Each current person's one counted residence inside the prefix: their current residence with the latest
    start (then the highest id), so a person is in exactly one grid."""
    current = current_residences()
    newer = current.filter(person_id=OuterRef("person_id")).filter(
        Q(start__gt=OuterRef("start")) | Q(start=OuterRef("start"), pk__gt=OuterRef("pk"))
    )
    return current.filter(prefix_range(GRID, prefix), ~Exists(newer), person__merged_into__isnull=True)


def residency_of(code: str | None) -> str:
    return code if code in RESIDENCIES else "other"


def person_tags() -> list[str]:
    return list(
        Tag.objects.filter(applies_to=TagTarget.PERSON, active=True).order_by("code").values_list("code", flat=True)
    )


def leaf_counts(prefix: str, tags: list[str]) -> dict[tuple[str, str, str, str], int]:
    """(tag or ALL, grid code, age band, residency) -> people, for everyone and for each of ``tags``."""
    today = clock.now().date()
    base = primary_residences(prefix).annotate(band=age_band(today))
    out: dict[tuple[str, str, str, str], int] = defaultdict(int)
    keys = (GRID, "band", "person__residency")
    if ALL in tags:
        for row in base.values(*keys).annotate(n=Count("person_id", distinct=True)):
            out[(ALL, row[GRID], row["band"], residency_of(row["person__residency"]))] += row["n"]
    named = [t for t in tags if t != ALL]
    if named:
        # One filter() call so the open-tag conditions and the grouped tag code share one join.
        held = Q(person__tags__tag__code__in=named, person__tags__since__lte=today) & (
            Q(person__tags__until__isnull=True) | Q(person__tags__until__gt=today)
        )
        rows = base.filter(held).values(*keys, "person__tags__tag__code").annotate(n=Count("person_id", distinct=True))
        for row in rows:
            key = (row["person__tags__tag__code"], row[GRID], row["band"], residency_of(row["person__residency"]))
            out[key] += row["n"]
    return out


def areas_under(root: str) -> Areas:
    pairs = Region.objects.filter(prefix_range("code", root)).values_list("code", "parent__code")
    return Areas.from_pairs(root, pairs)


class Truth:
    """The true count of any cell under the root, summed up from the leaves once."""

    def __init__(self, areas: Areas, leaves: dict[tuple[str, str, str, str], int]) -> None:
        self.counts: dict[Cell, int] = defaultdict(int)
        for (tag, grid, band, residency), n in leaves.items():
            code: str | None = grid if grid in areas.parent or grid == areas.root else areas.root
            while code is not None:
                for b in (band, ALL):
                    for r in (residency, ALL):
                        self.counts[Cell(code, tag, b, r)] += n
                code = areas.parent.get(code)

    def __call__(self, cell: Cell) -> int:
        return self.counts.get(cell, 0)
