"""Helpers for the workbench tests; the browser fixtures come from tests/browser.py."""

from __future__ import annotations

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shequ.access.models import User
from shequ.events import actions
from shequ.events.models import Category, Channel, Event
from shequ.geo.models import Region
from tests.world import World


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # The world makes a dozen users; PBKDF2 at full strength would dominate these tests' time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def png_bytes() -> bytes:
    """A real 1×1 PNG (the photo check reads the file's first bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\xff\0\0"))
        + chunk(b"IEND", b"")
    )


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def report(
    world: World,
    *,
    grid: Region | None = None,
    category: Category | None = None,
    by: User | None = None,
    channel: str = Channel.GRID_WORKER,
    description: str = "楼下垃圾堆积",
    **kwargs,
) -> Event:
    """An event reported through the real action, at the centre of a grid (G1 by default)."""
    lon, lat = world.point_in(grid or world.g1)
    return actions.report(
        by=by or world.grid_worker,
        channel=channel,
        description=description,
        category=category or world.litter,
        lon=lon,
        lat=lat,
        **kwargs,
    )


def dispatched(world: World, **kwargs) -> Event:
    """An event accepted and dispatched by C1's desk (litter in C1 goes to the sanitation team)."""
    event = report(world, **kwargs)
    event = actions.accept(event, by=world.community_staff)
    return actions.dispatch(event, by=world.community_staff)
