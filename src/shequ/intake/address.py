"""Free Chinese addresses to the base's building (and dwelling), and so to the grid.

"华强北街道华航社区振华路12号3栋2单元501", "振华路十二号三栋", "华航小区3栋": province
and city prefixes are dropped; district, street and community names at the front narrow the
search when given (a short form such as 华航 for 华航社区 only if reading it so matches
better: estates are often named after their community); numerals and full-width digits
are normalised. A road and its door number (振华路12号), with the building's number
(3栋) when given, match the building on that road and number even when the estate's name
is left out; the rest is matched against each building's address and name (rapidfuzz).
Near ties between buildings are ambiguous: the candidates are returned with their scores,
and the grid only when they all share it.

The index of buildings is built once per process and rebuilt when the geo index's
version moves (a region or building saved or deleted, in any process: the version in the
cache, read on every resolve, and the bus nudge) or when ``forget()`` is called.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz

from shequ.core import bus
from shequ.geo import index as geo_index
from shequ.geo.models import Building, Dwelling, Region, RegionLevel

from .numerals import every_run, normalise_digits

SHORTLIST = 300  # buildings scored in full a resolve, besides those with the written door number
_ENTRANCE = re.compile(r"(\d+)(?:单元|门)")
_ROOM = re.compile(r"(\d{3,4})(?:室|房|号房)?$")
_ROOM_ALONE = re.compile(r"(\d{3,4})(?:室|房|号房)?")
_JUNK = re.compile(r"[\s,，。、:：()（）\-—]+")
_PROVINCE_CITY = re.compile(r"^(?:[\u4e00-\u9fff]{2,7}?(?:省|自治区))?(?:[\u4e00-\u9fff]{2,7}?市)?")
_NEAR = re.compile(r"(?:附近|旁边|门口|楼下|对面|那里|这里|一带)+$")
# a road and its door number: 振华路12号 (the road is matched by its end: 华航社区振华路 is 振华路)
_ROAD_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,8}?(?:大道|路|街|道|巷|弄))(\d+)号")
# the building's own number at the end: 3栋, A座, 5号楼
_BUILDING_NUMBER = re.compile(r"(\d+|[a-z])(?:栋|座|幢|号楼)$", re.IGNORECASE)
# how people write a building's number: 6号楼, 6幢, 6#, 6#楼, 6棟 are 6栋 (not 12号楼下: downstairs of No. 12)
_BUILDING_MARK = re.compile(r"(?<=[\dA-Z])(?:号楼|#楼|幢|棟|#)(?![下上前后道顶梯里])")
# building-entrance-room and building-room written with dashes: 6-1-402, 6栋1-402, 6-402
_DASHED = (
    (re.compile(r"(\d+|[A-Z])-(\d+)-(\d{3,4})$"), r"\1栋\2单元\3"),
    (re.compile(r"(栋|座)(\d+)-(\d{3,4})$"), r"\1\2单元\3"),
    (re.compile(r"(?<![\d号栋座])(\d+|[A-Z])-(\d{3,4})$"), r"\1栋\2"),
)
# what estates' names end with: residents often say 嘉汇小区 for 嘉汇雅苑
ESTATE_SUFFIXES = (
    *("小区", "花园", "新村", "家园", "雅苑", "名苑", "花苑"),
    *("公寓", "华庭", "豪庭", "嘉园", "雅居", "苑", "园"),
)
AMBIGUOUS_WITHIN = 2.0  # points of score: closer than this, two buildings are a tie
MIN_SCORE = 60.0


@dataclass
class Resolved:
    building: Building | None
    score: float
    dwelling: Dwelling | None = None
    grid: Region | None = None
    candidates: list[tuple[Building, float]] = field(default_factory=list)

    def tied(self) -> list[Building]:
        """The candidates as good as the best (an ambiguous address): any of them may be meant."""
        if self.building is not None:
            return [self.building]
        return [b for b, s in self.candidates if self.score - s < AMBIGUOUS_WITHIN]


@dataclass(frozen=True)
class _Entry:
    pk: int
    address: str
    name: str
    grid_id: int
    grid_code: str
    road: str = ""
    number: str = ""
    building_number: str = ""
    short: str = ""  # the name without the estate's suffix: 嘉汇6栋 for 嘉汇雅苑6栋


def _entry(pk: int, address: str, name: str, grid_id: int, grid_code: str) -> _Entry:
    address, name = _clean(address), _clean(name)
    road, number, building_number = _structure(address)
    return _Entry(pk, address, name, grid_id, grid_code, road, number, building_number, _short(name))


def _short(name: str) -> str:
    m = re.fullmatch(r"(.+?)(\d+栋|[A-Z]座)", name)
    if not m:
        return ""
    estate = m.group(1)
    for suffix in sorted(ESTATE_SUFFIXES, key=len, reverse=True):
        stem = estate.removesuffix(suffix)
        if stem != estate and len(stem) >= 2:
            return stem + m.group(2)
    return ""


def _structure(text: str) -> tuple[str, str, str]:
    """(road, door number, building number) of a cleaned address, each "" when not given."""
    m = _ROAD_NUMBER.search(text)
    b = _BUILDING_NUMBER.search(text)
    building_number = b.group(1).upper() if b and (not m or b.start() >= m.end()) else ""
    return (m.group(1), m.group(2), building_number) if m else ("", "", building_number)


class _Index:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: list[_Entry] | None = None
        self.by_number: dict[str, list[_Entry]] = {}  # door number -> the buildings with it
        self.by_bigram: dict[str, np.ndarray] = {}  # two characters -> the positions of the entries holding them
        self.codes = np.array([], dtype=str)  # each entry's grid code, by position
        self.regions: list[tuple[str, str]] = []  # (name, code) of streets and communities, longest name first
        self.version: object = None  # the geo index's version this was read at

    def forget(self) -> None:
        self.entries = None

    def get(self) -> list[_Entry]:
        # The version is read on every resolve: one cache read beside scoring every building.
        if self.entries is not None and geo_index.version() != self.version:
            self.entries = None
        if self.entries is None:
            with self.lock:
                if self.entries is None:
                    # Subscribed and versioned before reading: an edit committed meanwhile makes it stale again.
                    bus.subscribe(geo_index.TOPIC, self.forget)
                    self.version = geo_index.version()
                    self.regions = sorted(
                        Region.objects.filter(
                            level__in=(RegionLevel.STREET, RegionLevel.COMMUNITY, RegionLevel.DISTRICT)
                        ).values_list("name", "code"),
                        key=lambda r: -len(r[0]),
                    )
                    entries = [
                        _entry(pk, addr, name, grid_id, code)
                        for pk, addr, name, grid_id, code in Building.objects.values_list(
                            "pk", "address", "name", "grid_id", "grid__code"
                        )
                    ]
                    by_number: dict[str, list[_Entry]] = {}
                    by_bigram: dict[str, list[int]] = {}
                    for i, e in enumerate(entries):
                        if e.number:
                            by_number.setdefault(e.number, []).append(e)
                        for bigram in _bigrams(e.address + " " + e.name + " " + e.short):
                            by_bigram.setdefault(bigram, []).append(i)
                    self.by_number = by_number
                    self.by_bigram = {k: np.array(v, dtype=np.int32) for k, v in by_bigram.items()}
                    self.codes = np.array([e.grid_code for e in entries])
                    self.entries = entries
        return self.entries

    def shortlist(self, query: str, prefix: str, number: str) -> list[_Entry]:
        """The buildings worth scoring: those sharing the most character pairs with the query (every building
        whose name or address holds the query, or the query holds, is among them), and those with its door
        number. Scoring all of a district's ~50,000 buildings took 0.6-1.2 s a resolve."""
        entries = self.entries or []
        hits = [self.by_bigram[b] for b in _bigrams(query) if b in self.by_bigram]
        if len(entries) <= SHORTLIST or not hits:
            pool = entries
        else:
            counts = np.bincount(np.concatenate(hits), minlength=len(entries))
            if prefix:
                counts[~np.char.startswith(self.codes, prefix)] = 0
            top = np.argpartition(-counts, SHORTLIST)[:SHORTLIST]
            pool = [entries[i] for i in top if counts[i] > 0] + self.by_number.get(number, [])
        return [e for e in pool if e.grid_code.startswith(prefix)] if prefix else pool


_index = _Index()


def forget() -> None:
    """Drop the cached buildings: the next resolve reads the base again."""
    _index.forget()


def _clean(text: str) -> str:
    text = normalise_digits(text).upper().replace("號", "号")
    text = re.sub(r"\s*[-—－~]\s*", "-", text)
    for pattern, repl in _DASHED:
        text = pattern.sub(repl, text)
    return _BUILDING_MARK.sub("栋", _JUNK.sub("", text))


def _strip_regions(text: str, *, short: bool) -> tuple[str, str]:
    """The text without the province, city and region names it starts with, and the longest
    code prefix those give. ``short``: also a province and city in front (广东省深圳市) and a
    region's name without 社区/街道 (华航 for 华航社区)."""
    if short:
        text = _PROVINCE_CITY.sub("", text)
    prefix = ""
    stripped = True
    while stripped and text:
        stripped = False
        for name, code in _index.regions:
            variants = [name]
            if short:
                variants += [v for v in (name.removesuffix("社区"), name.removesuffix("街道")) if v != name]
            for variant in variants:
                if len(variant) >= 2 and text.startswith(variant) and len(text) > len(variant):
                    text = text[len(variant) :]
                    if len(code) > len(prefix) and (not prefix or code.startswith(prefix)):
                        prefix = code
                    stripped = True
                    break
            if stripped:
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
        # the room after the building (3栋501, A座1203室) or after a village house's number (1巷3号201室)
        for marker in ("栋", "座", "幢", "号"):
            cut = text.rfind(marker)
            if cut != -1 and cut < len(text) - 1:
                r = _ROOM_ALONE.fullmatch(every_run(text[cut + 1 :]))
                if r:
                    room, text = r.group(1), text[: cut + 1]
                    break
    return text, entrance, room


def _score(query: str, structure: tuple[str, str, str], entry: _Entry) -> float:
    if query in (entry.address, entry.name):
        return 100.0
    best = max(fuzz.ratio(query, entry.address), fuzz.ratio(query, entry.name))
    if entry.name and entry.name in query:
        best = max(best, 90.0 + 9.0 * len(entry.name) / max(len(query), 1))
    if entry.short:
        bare = query.replace("小区", "")  # 嘉汇小区6栋, 嘉汇6栋: the estate named without its own suffix
        if entry.short in bare:
            best = max(best, 88.0 + 9.0 * len(entry.short) / max(len(bare), 1))
    if query in entry.address:
        best = max(best, 85.0 + 14.0 * len(query) / max(len(entry.address), 1))
    else:
        best = max(best, 0.9 * fuzz.partial_ratio(query, entry.address))
    road, number, building_number = structure
    if number and number == entry.number and entry.road and road.endswith(entry.road):
        # the road and door number agree: the building's number decides (振华路十二号三栋)
        if not building_number or not entry.building_number:
            best = max(best, 95.0)
        elif building_number == entry.building_number:
            best = max(best, 99.0)
    return best


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} - {" "}


def _ranked(core: str, prefix: str, limit: int) -> list[tuple[float, _Entry]]:
    structure = _structure(core)
    pool = set(_index.shortlist(core, prefix, structure[1]))
    scored = sorted(((round(_score(core, structure, e), 1), e) for e in pool), key=lambda se: (-se[0], se[1].pk))
    return [(s, e) for s, e in scored[:limit] if s >= MIN_SCORE]


def _with_room(pks: list[int], entrance: str, room: str) -> set[int]:
    rows = Dwelling.objects.filter(building_id__in=pks, room=room)
    if entrance:
        rows = rows.filter(entrance=entrance)
    return set(rows.values_list("building_id", flat=True))


def resolve(text: str, *, limit: int = 5) -> Resolved:
    _index.get()
    core, entrance, room = parse(text)
    core = _NEAR.sub("", core)
    # Two readings: region names in full only, and also their short forms; the better match wins
    # (the full-name reading on a tie, so 梅岭商务中心 stays an estate of that name).
    scored: list[tuple[float, _Entry]] = []
    for short in (False, True):
        rest, prefix = _strip_regions(core, short=short)
        if not rest:
            continue
        ranked = _ranked(rest, prefix, limit)
        if ranked and (not scored or ranked[0][0] > scored[0][0]):
            scored = ranked
    buildings = {b.pk: b for b in Building.objects.select_related("grid").filter(pk__in=[e.pk for _s, e in scored])}
    # A building deleted since the index was read (another process, not yet nudged) is not a candidate.
    scored = [(s, e) for s, e in scored if e.pk in buildings]
    if not scored:
        return Resolved(None, 0.0)
    top = scored[0][0]
    ties = [e for s, e in scored if top - s < AMBIGUOUS_WITHIN]
    candidates = [(buildings[e.pk], s) for s, e in scored]
    if len(ties) > 1 and room:
        # the room can tell apart buildings the base gives one address (a 303 in a two-storey house is not there)
        having = _with_room([e.pk for e in ties], entrance, room)
        if len(having) == 1:
            ties = [e for e in ties if e.pk in having]
            scored = [se for se in scored if se[1].pk in having] + [se for se in scored if se[1].pk not in having]
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
