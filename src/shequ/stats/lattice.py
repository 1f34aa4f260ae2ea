"""The lattice of count cells and what an asker can work out from the cells released to them.

Pure functions, no database. A cell is a count of people: an area, and for each other dimension one value or
``ALL``. The lattice's additive relations (a parent area is the sum of its child areas, a total the sum of its age
bands, or of its residencies, the other dimensions fixed) let an asker combine released cells; ``disclosed`` runs
the asker's best reasoning (interval propagation over those relations) and says which cells they can pin to one
value. Tags are not additive (one person may carry several), so a tag only fixes the sub-lattice a cell is in.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

ALL = "*"
AGE_BANDS = ("0-17", "18-34", "35-59", "60-79", "80+", "unknown")
RESIDENCIES = ("registered", "floating", "foreign", "other")
# Counts below this are suppressed (shown as SMALL); the asker knows such a cell is 1..THRESHOLD-1.
THRESHOLD = 5
SMALL = "<5"
# A cell suppressed only so that a small one cannot be worked out (complementary suppression): the asker can tell
# it from a small cell, so they know it is at least THRESHOLD.
HIDDEN = "x"
INF = math.inf
# Safety valve for stale, contradictory snapshots in the ledger: propagation stops after this many steps.
MAX_STEPS = 200_000

Bounds = tuple[float, float]


class Cell(NamedTuple):
    """One count: an area, and for each other dimension a value or ALL. A plain tuple: the reasoning below hashes
    hundreds of thousands of them."""

    area: str
    tag: str = ALL
    age_band: str = ALL
    residency: str = ALL

    @property
    def key(self) -> str:
        return "|".join(self)

    @classmethod
    def parse(cls, key: str) -> Cell:
        area, tag, age_band, residency = key.split("|")
        return cls(area, tag, age_band, residency)


@dataclass
class Areas:
    """The region tree under the asker's scope root: children per code, parent per code (none above the root)."""

    root: str
    children: dict[str, tuple[str, ...]] = field(default_factory=dict)
    parent: dict[str, str] = field(default_factory=dict)
    # Relations per cell, worked out once (the tree does not change while an answer is checked).
    cache: dict[Cell, tuple[tuple[Cell, ...], ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_pairs(cls, root: str, pairs: Iterable[tuple[str, str | None]]) -> Areas:
        """``pairs`` are (code, parent code) of the root and every region below it."""
        kids: dict[str, list[str]] = {}
        parent: dict[str, str] = {}
        for code, up in pairs:
            if code != root and up is not None:
                kids.setdefault(up, []).append(code)
                parent[code] = up
        return cls(root, {k: tuple(sorted(v)) for k, v in kids.items()}, parent)


def relations(cell: Cell, areas: Areas) -> tuple[tuple[Cell, ...], ...]:
    """Every additive relation the cell takes part in, as the total or as a part: (total, *parts) each."""
    found = areas.cache.get(cell)
    if found is not None:
        return found
    area, tag, band, residency = cell
    out: list[tuple[Cell, ...]] = []
    kids = areas.children.get(area)
    if kids:
        out.append((cell, *(Cell(k, tag, band, residency) for k in kids)))
    up = areas.parent.get(area)
    if up is not None:
        out.append((Cell(up, tag, band, residency), *(Cell(k, tag, band, residency) for k in areas.children[up])))
    out.append((Cell(area, tag, ALL, residency), *(Cell(area, tag, b, residency) for b in AGE_BANDS)))
    out.append((Cell(area, tag, band, ALL), *(Cell(area, tag, band, r) for r in RESIDENCIES)))
    areas.cache[cell] = found = tuple(out)
    return found


def shown_bounds(shown: str) -> Bounds:
    """What a released value tells the asker."""
    if shown == SMALL:
        return (1, THRESHOLD - 1)
    if shown == HIDDEN:
        return (THRESHOLD, INF)
    n = int(shown)
    return (n, n)


def _tighten(members: tuple[Cell, ...], bounds: dict[Cell, Bounds]) -> list[tuple[Cell, Bounds]] | None:
    """One pass of total = sum(parts) over intervals. The new bounds that changed, or None if the relation is
    contradictory (stale snapshots after the data changed): then it is left alone."""
    now = [bounds.get(m, (0, INF)) for m in members]
    (t_lo, t_hi), parts = now[0], now[1:]
    lo_sum = sum(lo for lo, _ in parts)
    finite_hi = [hi for _, hi in parts if hi != INF]
    unbounded = len(parts) - len(finite_hi)
    hi_sum = sum(finite_hi) if not unbounded else INF
    new_t = (max(t_lo, lo_sum), min(t_hi, hi_sum))
    if new_t[0] > new_t[1]:
        return None
    out: list[tuple[Cell, Bounds]] = []
    if new_t != now[0]:
        out.append((members[0], new_t))
    for member, (lo, hi) in zip(members[1:], parts, strict=True):
        # The sum of the other parts' upper bounds: infinite if any other part is unbounded.
        others_unbounded = unbounded - (1 if hi == INF else 0)
        others_hi = INF if others_unbounded else sum(finite_hi) - (hi if hi != INF else 0)
        new_lo = max(lo, new_t[0] - others_hi) if others_hi != INF else lo
        new_hi = min(hi, new_t[1] - (lo_sum - lo))
        if new_lo > new_hi:
            return None
        if (new_lo, new_hi) != (lo, hi):
            out.append((member, (new_lo, new_hi)))
    return out


def infer(released: Mapping[Cell, str], areas: Areas) -> dict[Cell, Bounds]:
    """The bounds the asker can derive for cells near what was released to them.

    The relations looked at are those of the released cells and of every cell the asker can pin exactly (a chain
    of derivations), with each relation complete (cells never released in it count as 0..infinity). Bounds shrink
    until nothing changes."""
    bounds: dict[Cell, Bounds] = {cell: shown_bounds(shown) for cell, shown in released.items()}
    by_cell: dict[Cell, list[tuple[Cell, ...]]] = {}
    included: set[tuple[Cell, ...]] = set()
    work: deque[tuple[Cell, ...]] = deque()

    def expand(cell: Cell) -> None:
        for members in relations(cell, areas):
            if members in included:
                continue
            included.add(members)
            for m in members:
                by_cell.setdefault(m, []).append(members)
            work.append(members)

    for cell in released:
        expand(cell)
    steps = 0
    while work and steps < MAX_STEPS:
        steps += 1
        members = work.popleft()
        changes = _tighten(members, bounds)
        for cell, new in changes or ():
            bounds[cell] = new
            if new[0] == new[1]:
                expand(cell)
            work.extend(r for r in by_cell[cell] if r is not members)
    return bounds


def pinned(bounds: Mapping[Cell, Bounds], released: Mapping[Cell, str]) -> set[Cell]:
    """Cells the asker can work out exactly although they were not released as an exact number."""
    exact = {c for c, s in released.items() if s not in (SMALL, HIDDEN)}
    return {c for c, (lo, hi) in bounds.items() if lo == hi and c not in exact}


def is_small(n: int) -> bool:
    return 0 < n < THRESHOLD


Truth = Callable[[Cell], int]


def disclosed(released: Mapping[Cell, str], areas: Areas, truth: Truth) -> set[Cell]:
    """Small cells (1..4 people now) the asker could pin to one value from ``released``."""
    return {c for c in pinned(infer(released, areas), released) if is_small(truth(c))}


def protect(ledger: Mapping[Cell, str], answer: Mapping[Cell, int], areas: Areas, truth: Truth) -> dict[Cell, str]:
    """What to show for each new cell of an answer, given what the ledger already holds for this asker.

    Small counts are SMALL. Then, while the ledger plus this answer would let the asker pin a small cell that the
    ledger alone did not, more exact cells of the answer are hidden (complementary suppression): for each newly
    disclosed cell, the smallest exact cell sharing a relation with it (unless one already picked does), else the
    smallest one anywhere in the answer; then the check runs again."""
    shown = {c: (SMALL if is_small(n) else str(n)) for c, n in answer.items()}
    before = disclosed(ledger, areas, truth)
    while True:
        leaks = disclosed({**ledger, **shown}, areas, truth) - before
        exposed = sorted((n, c) for c, n in answer.items() if shown[c] not in (SMALL, HIDDEN) and n >= THRESHOLD)
        if not leaks or not exposed:
            return shown
        picks: set[Cell] = set()
        for leak in sorted(leaks):
            near = {m for members in relations(leak, areas) for m in members}
            if picks & near:
                continue
            pick = next((c for _n, c in exposed if c in near and c not in picks), None)
            if pick is not None:
                picks.add(pick)
        for cell in picks or {exposed[0][1]}:
            shown[cell] = HIDDEN
