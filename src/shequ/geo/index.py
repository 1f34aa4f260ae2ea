"""The in-memory point-in-grid index behind ``locate``.

One shapely STRtree over every grid polygon, built on first use and rebuilt
when a region changes. An edit reaches every process twice over: a nudge on the
bus (``core.bus``: on PostgreSQL delivered when the edit commits, so each
process rebuilds at its next lookup) and the version in the cache, checked
every ``_CHECK_SECONDS`` (with a shared cache, Redis). A cache that does not
answer leaves the index as it is: it never rebuilds on every lookup.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import shapely
from django.core.cache import cache
from django.db import transaction
from shapely.geometry import shape

from shequ.core import bus

_VERSION_KEY = "shequ:geo:index-version"
_CHECK_SECONDS = 1.0
_UNKNOWN = object()  # the cache has no version (or does not answer)
TOPIC = "geo"


@dataclass(frozen=True, slots=True)
class Located:
    """Where a point falls: the grid and the regions above it."""

    grid_id: int
    grid_code: str
    community_id: int | None
    street_id: int | None
    district_id: int | None


class _GridIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tree: shapely.STRtree | None = None
        self._geoms: list = []
        self._located: list[Located] = []
        self._version: object = None
        self._checked_at = 0.0
        self._stale = True
        self._built = False  # until the first read ends: a lookup meanwhile waits for it instead of finding nothing

    def invalidate(self) -> None:
        self._stale = True
        cache.set(_VERSION_KEY, time.time_ns(), None)

    def mark_stale(self) -> None:
        self._stale = True

    def _current(self) -> shapely.STRtree | None:
        now = time.monotonic()
        if not self._stale and now - self._checked_at > _CHECK_SECONDS:
            self._checked_at = now
            version = cache.get(_VERSION_KEY, _UNKNOWN)
            if version is not _UNKNOWN and version != self._version:
                self._stale = True
        if self._stale or not self._built:
            with self._lock:
                if self._stale or not self._built:
                    self._build()
        return self._tree

    def _build(self) -> None:
        # Subscribed and marked fresh before reading: an edit that commits during the read marks it stale again.
        bus.subscribe(TOPIC, self.mark_stale)
        self._stale = False
        try:
            self._read()
        except BaseException:
            self._stale = True
            raise

    def _read(self) -> None:
        from .models import Region, RegionLevel

        version = cache.get(_VERSION_KEY)
        if version is None:
            version = time.time_ns()
            cache.add(_VERSION_KEY, version, None)
        ids_by_code = dict(Region.objects.exclude(level=RegionLevel.GRID).values_list("code", "id"))
        geoms, located = [], []
        for grid_id, code, boundary in Region.objects.filter(
            level=RegionLevel.GRID, boundary__isnull=False
        ).values_list("id", "code", "boundary"):
            geom = shape(boundary)
            if geom.is_empty:
                continue
            shapely.prepare(geom)
            geoms.append(geom)
            located.append(
                Located(grid_id, code, ids_by_code.get(code[:12]), ids_by_code.get(code[:9]), ids_by_code.get(code[:6]))
            )
        self._geoms, self._located = geoms, located
        self._tree = shapely.STRtree(geoms) if geoms else None
        self._version = version
        self._checked_at = time.monotonic()
        self._built = True

    def locate(self, lon: float, lat: float) -> Located | None:
        tree = self._current()
        if tree is None:
            return None
        hits = tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        # A point on a shared edge touches two grids: take the lowest code, always the same one.
        return min((self._located[i] for i in hits), key=lambda loc: loc.grid_code)


_index = _GridIndex()


def locate(lon: float, lat: float) -> Located | None:
    """The grid (and community, street, district) containing a WGS-84 point, or None."""
    return _index.locate(lon, lat)


def version() -> object:
    """The version the cache holds (None when it holds none): what other indexes of the base compare against."""
    return cache.get(_VERSION_KEY)


def invalidate() -> None:
    """Mark the index stale now and again after the current transaction commits, in every process."""
    _index.invalidate()
    transaction.on_commit(_index.invalidate)
    bus.publish(TOPIC)
