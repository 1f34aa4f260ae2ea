"""Helpers for the event-loop tests: events brought to a status through the real actions,
real image bytes, and a snapshot that proves a refused action changed nothing."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count

from shequ.events import actions
from shequ.events.models import Category, Channel, Event, TimelineEntry

from ..world import World


def png_bytes() -> bytes:
    """A real 1x1 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """The start of a JFIF JPEG (SOI + APP0) and its end marker: what the type check reads."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + b"\xff\xd9"


def webp_bytes() -> bytes:
    body = b"WEBPVP8L" + struct.pack("<I", 5) + b"\x2f\x00\x00\x00\x00" + b"\x00"
    return b"RIFF" + struct.pack("<I", len(body)) + body


def photo(name: str = "p.png", content: bytes | None = None, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes() if content is None else content, content_type=content_type)


def snapshot(event: Event) -> dict[str, Any]:
    """Everything a refused action must leave as it was: every field, the timeline and photo counts."""
    return (
        Event.objects.filter(pk=event.pk)
        .annotate(timeline_rows=Count("timeline", distinct=True), photo_rows=Count("photos", distinct=True))
        .values()
        .get()
    )


_LITTER: Any = object()


def reported(w: World, *, category: Category | None = _LITTER, by=None, grid=None, **kwargs) -> Event:
    """Reported by the resident at a point in grid G1 (or ``grid``), litter unless told."""
    lon, lat = w.point_in(grid or w.g1)
    return actions.report(
        by=by or w.resident,
        channel=kwargs.pop("channel", Channel.RESIDENT),
        description=kwargs.pop("description", "楼下垃圾堆积"),
        category=w.litter if category is _LITTER else category,
        lon=lon,
        lat=lat,
        **kwargs,
    )


def accepted(w: World, **kwargs) -> Event:
    return actions.accept(reported(w, **kwargs), by=w.community_staff)


def dispatched(w: World, **kwargs) -> Event:
    """Litter in G1: the responsibility list sends it to the sanitation team (handler)."""
    return actions.dispatch(accepted(w, **kwargs), by=w.community_staff)


def handled(w: World, **kwargs) -> Event:
    return actions.handle(dispatched(w, **kwargs), by=w.handler, result="已清理")


def closed(w: World, **kwargs) -> Event:
    return actions.verify(handled(w, **kwargs), by=w.grid_worker, passed=True)


def actions_of(event: Event) -> list[str]:
    return list(TimelineEntry.objects.filter(event=event).order_by("id").values_list("action", flat=True))


def last_entry(event: Event) -> TimelineEntry:
    # By id, not time: a test may freeze the clock before an earlier step's real time.
    return TimelineEntry.objects.filter(event=event).order_by("id").last()
