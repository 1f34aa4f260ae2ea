"""Owners' decisions under the Civil Code of the PRC, art. 278, in exact integer arithmetic (no floats).

Art. 278, para. 2: a matter is put to the vote of owners who hold at least two thirds of the exclusive floor area
and who are at least two thirds of the owners
("由专有部分面积占比三分之二以上的业主且人数占比三分之二以上的业主参与表决").
It passes with the consent of:

- items 6 to 8 (raising the maintenance fund; altering or rebuilding the buildings; changing the use of common
  parts or doing business on them): at least three quarters of the participating area and at least three quarters
  of the participating owners ("四分之三以上");
- every other item: more than half of the participating area and more than half of the participating owners
  ("过半数").

"以上" includes the number itself (Civil Code art. 1259), so exactly two thirds take part and exactly three quarters
carry a major matter; "过半数" is strictly more than half, so exactly half does not carry an ordinary one.

Counting owners (Supreme People's Court interpretation on building ownership, art. 9): one exclusive part counts
as one owner, and one person owning several counts once. Here the owners are the connected groups of the
ownership graph: a dwelling's co-owners are one owner, and a person owning several dwellings joins them into one
(``owner_units``). Area is per dwelling, in hundredths of a square metre (the property certificate's precision).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Tally:
    """Weights are area in hundredths of a m²; heads are owners (or residents, for a residents' consultation)."""

    total_weight: int
    total_heads: int
    part_weight: int
    part_heads: int
    yes_weight: int
    yes_heads: int
    no_weight: int = 0
    no_heads: int = 0
    abstain_weight: int = 0
    abstain_heads: int = 0


def quorum(t: Tally) -> bool:
    """At least two thirds of the area and at least two thirds of the owners took part."""
    return t.total_heads > 0 and 3 * t.part_weight >= 2 * t.total_weight and 3 * t.part_heads >= 2 * t.total_heads


def carried(t: Tally, *, major: bool) -> bool:
    """The quorum holds and enough of the participants consented (see the module's rules)."""
    if not quorum(t):
        return False
    if major:
        return 4 * t.yes_weight >= 3 * t.part_weight and 4 * t.yes_heads >= 3 * t.part_heads
    return 2 * t.yes_weight > t.part_weight and 2 * t.yes_heads > t.part_heads


def carried_by_residents(t: Tally) -> bool:
    """A residents' consultation: more than half of those who answered said yes (it advises, it binds no one)."""
    return t.part_heads > 0 and 2 * t.yes_heads > t.part_heads


def share(part: int, whole: int) -> Fraction:
    return Fraction(part, whole) if whole else Fraction(0)


def percent(part: int, whole: int) -> str:
    """A share for people to read, rounded half up to one decimal only for display ("66.7%")."""
    tenths = (part * 2000 + whole) // (2 * whole) if whole else 0
    return f"{tenths // 10}.{tenths % 10}%"


def owner_units(owners: Mapping[int, Iterable[int]]) -> dict[int, int]:
    """``{dwelling: owner person ids}`` -> ``{dwelling: owner number}``: dwellings sharing any owner get the same
    number (union-find). A dwelling with no recorded owner stands for the developer's unsold parts, all of which
    count as one owner (number 0)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for dwelling, people in owners.items():
        node = -dwelling - 1  # dwellings and people share one namespace: dwellings are negative
        find(node)
        for person in people:
            union(node, person)
    numbers: dict[int, int] = {}
    result: dict[int, int] = {}
    for dwelling, people in sorted(owners.items()):
        if not list(people):
            result[dwelling] = 0
            continue
        root = find(-dwelling - 1)
        result[dwelling] = numbers.setdefault(root, len(numbers) + 1)
    return result


@dataclass(frozen=True)
class Cast:
    """One roll entry for the tally: its area, its owner and its ballot (None: not cast)."""

    weight: int
    unit: int
    choice: str | None


def tally(entries: Iterable[Cast]) -> Tally:
    """Area adds up per dwelling. Each owner counts once: as taking part if any of their dwellings voted, and as
    consenting (or refusing, or abstaining) only when all their cast ballots agree; an owner whose dwellings voted
    differently takes part without counting on either side."""
    rows = list(entries)
    weights = {"total": 0, "part": 0, "yes": 0, "no": 0, "abstain": 0}
    units: dict[int, set[str]] = {}
    for row in rows:
        weights["total"] += row.weight
        units.setdefault(row.unit, set())
        if row.choice is not None:
            weights["part"] += row.weight
            weights[row.choice] += row.weight
            units[row.unit].add(row.choice)
    heads = {"yes": 0, "no": 0, "abstain": 0}
    for choices in units.values():
        if len(choices) == 1:
            heads[next(iter(choices))] += 1
    return Tally(
        total_weight=weights["total"],
        total_heads=len(units),
        part_weight=weights["part"],
        part_heads=sum(1 for c in units.values() if c),
        yes_weight=weights["yes"],
        yes_heads=heads["yes"],
        no_weight=weights["no"],
        no_heads=heads["no"],
        abstain_weight=weights["abstain"],
        abstain_heads=heads["abstain"],
    )
