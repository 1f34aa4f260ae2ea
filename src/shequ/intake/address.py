"""Free Chinese addresses to the base's building (and dwelling), and so to the grid.

"华强北街道华航社区振华路12号3栋2单元501", "振华路十二号三栋", "华航小区3栋": district,
street and community names narrow the search when given; numerals and full-width
digits are normalised; the rest is matched against each building's address and name
(rapidfuzz). Near ties between buildings are ambiguous: the candidates are returned
with their scores, and the grid only when they all share it.

The index of buildings is built once per process and rebuilt when the geo index's
version moves (a region edit) or when ``forget()`` is called (tests, imports).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from shequ.geo.models import Building, Dwelling, Region, RegionLevel

from .numerals import every_run, normalise_digits

_ENTRANCE = re.compile(r"(\d+)(?:单元|门)")
_ROOM = re.compile(r"(\d{3,4})(?:室|房|号房)?$")
_JUNK = re.compile(r"[\s,，。、:：()（）\-—]+")
AMBIGUOUS_WITHIN = 2.0  # points of score: closer than this, two buildings are a tie
MIN_SCORE = 60.0


@dataclass
class Resolved:
    building: Building | None
    score: float
    dwelling: Dwelling | None = None
    grid: Region | None = None
    candidates: list[tuple[Building, float]] = field(default_factory=list)


@dataclass(frozen=True)
class _Entry:
    pk: int
    address: str
    name: str
    grid_id: int
    grid_code: str


class _Index:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: list[_Entry] | None = None
        self.regions: list[tuple[str, str]] = []  # (name, code) of streets and communities, longest name first

    def get(self) -> list[_Entry]:
        if self.entries is None:
            with self.lock:
                if self.entries is None:
                    self.regions = sorted(
                        Region.objects.filter(
                            level__in=(RegionLevel.STREET, RegionLevel.COMMUNITY, RegionLevel.DISTRICT)
                        ).values_list("name", "code"),
                        key=lambda r: -len(r[0]),
                    )
                    self.entries = [
                        _Entry(pk, _clean(addr), _clean(name), grid_id, code)
                        for pk, addr, name, grid_id, code in Building.objects.values_list(
                            "pk", "address", "name", "grid_id", "grid__code"
                        )
                    ]
        return self.entries


_index = _Index()


def forget() -> None:
    """Drop the cached buildings: the next resolve reads the base again."""
    _index.entries = None


def _clean(text: str) -> str:
    return _JUNK.sub("", normalise_digits(text))


def _strip_regions(text: str) -> tuple[str, str]:
    """The text without the region names it names, and the longest code prefix they give."""
    prefix = ""
    for name, code in _index.regions:
        for variant in {name, name.removesuffix("社区"), name.removesuffix("街道")}:
            if len(variant) >= 2 and variant in text:
                text = text.replace(variant, "", 1)
                if len(code) > len(prefix) and (not prefix or code.startswith(prefix)):
                    prefix = code
                break
    return text, prefix


def parse(text: str) -> tuple[str, str, str]:
    """(the building part, the entrance, the room) of an address."""
    text = _clean(text)
    entrance = ""
    room = ""
    m = _ENTRANCE.search(text)
    if m:
        entrance = m.group(1)
        tail = text[m.end() :]
        text = text[: m.start()]
        r = _ROOM.search(every_run(tail))
        room = r.group(1) if r else ""
    else:
        for marker in ("栋", "座", "幢"):
            cut = text.rfind(marker)
            if cut != -1 and cut < len(text) - 1:
                r = _ROOM.search(every_run(text[cut + 1 :]))
                if r:
                    room, text = r.group(1), text[: cut + 1]
                break
    return text, entrance, room


def _score(query: str, entry: _Entry) -> float:
    best = max(fuzz.ratio(query, entry.address), fuzz.ratio(query, entry.name))
    if entry.name and entry.name in query:
        best = max(best, 90.0 + 10.0 * len(entry.name) / max(len(query), 1))
    if query in entry.address:
        best = max(best, 85.0 + 15.0 * len(query) / max(len(entry.address), 1))
    else:
        best = max(best, 0.9 * fuzz.partial_ratio(query, entry.address))
    return best


def resolve(text: str, *, limit: int = 5) -> Resolved:
    entries = _index.get()
    core, entrance, room = parse(text)
    core, prefix = _strip_regions(core)
    if not core:
        return Resolved(None, 0.0)
    pool = [e for e in entries if e.grid_code.startswith(prefix)] if prefix else entries
    scored = sorted(((round(_score(core, e), 1), e) for e in pool), key=lambda se: (-se[0], se[1].pk))[:limit]
    scored = [(s, e) for s, e in scored if s >= MIN_SCORE]
    if not scored:
        return Resolved(None, 0.0)
    top = scored[0][0]
    ties = [e for s, e in scored if top - s < AMBIGUOUS_WITHIN]
    buildings = {b.pk: b for b in Building.objects.select_related("grid").filter(pk__in=[e.pk for _s, e in scored])}
    candidates = [(buildings[e.pk], s) for s, e in scored if e.pk in buildings]
    if len(ties) > 1:
        grids = {e.grid_id for e in ties}
        grid = buildings[ties[0].pk].grid if len(grids) == 1 else None
        return Resolved(None, top, grid=grid, candidates=candidates)
    building = buildings[scored[0][1].pk]
    dwelling = None
    if room:
        dwelling = Dwelling.objects.filter(building=building, entrance=entrance, room=room).first() or (
            Dwelling.objects.filter(building=building, room=room).first() if not entrance else None
        )
    return Resolved(building, top, dwelling=dwelling, grid=building.grid, candidates=candidates[1:])
