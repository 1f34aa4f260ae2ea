"""The disk under var/ full (a real tmpfs of a few kilobytes mounted for the test): an upload that does not fit
gets a clear 507 answer, and nothing is left half-written: no file, no event, no timeline row, no part file."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shequ.core.errors import StorageFull
from shequ.events.models import Event, EventPhoto, TimelineEntry
from shequ.registry.importing.uploads import store_upload
from tests.events.loop import jpeg_bytes
from tests.world import World, token_for

pytestmark = pytest.mark.django_db

SIZE_KB = 128
LEAVE_KB = 16  # what the filler leaves free: smaller than the upload


@pytest.fixture
def full_disk(tmp_path: Path, settings) -> Iterator[Path]:
    mount = tmp_path / "var"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("mounting a small tmpfs needs root, and CI requires this test")
        pytest.skip("mounting a small tmpfs (the full disk) needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE_KB}k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"could not mount a tmpfs: {done.stderr.decode()}")
        pytest.skip(f"could not mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        (mount / "media").mkdir()
        (mount / "imports").mkdir()
        settings.MEDIA_ROOT = str(mount / "media")
        settings.SHEQU_IMPORT_DIR = mount / "imports"
        with open(mount / "filler", "wb") as f:  # the rest of the disk, taken by something else
            f.write(b"\0" * ((SIZE_KB - LEAVE_KB) * 1024))
        assert LEAVE_KB * 1024 // 2 < shutil.disk_usage(mount).free <= LEAVE_KB * 1024
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_a_photo_that_does_not_fit_is_refused_with_507_and_nothing_is_kept(full_disk: Path, world: World):
    client = Client(headers={"Authorization": f"Bearer {token_for(world.grid_worker)}"})
    lon, lat = world.point_in(world.g1)
    big = jpeg_bytes()[:-2] + b"\0" * (48 * 1024) + b"\xff\xd9"  # a JPEG larger than what is free
    before = (Event.objects.count(), TimelineEntry.objects.count(), EventPhoto.objects.count())
    response = client.post(
        "/api/events",
        {
            "description": "垃圾堆在路边",
            "category": "0101",
            "lon": lon,
            "lat": lat,
            "photos": [SimpleUploadedFile("p.jpg", big, content_type="image/jpeg")],
        },
    )
    assert response.status_code == 507, response.content
    assert response.json()["code"] == "disk_full"
    assert "存储空间已满" in response.json()["message"]
    assert (Event.objects.count(), TimelineEntry.objects.count(), EventPhoto.objects.count()) == before
    assert _files(full_disk / "media") == []  # the partial file is gone

    small = jpeg_bytes()  # what fits still goes through: the platform is not stuck
    response = client.post(
        "/api/events",
        {
            "description": "垃圾堆在路边",
            "category": "0101",
            "lon": lon,
            "lat": lat,
            "photos": [SimpleUploadedFile("q.jpg", small, content_type="image/jpeg")],
        },
    )
    assert response.status_code == 201, response.content
    assert len(_files(full_disk / "media")) == 1


def test_an_import_file_that_does_not_fit_leaves_no_part_file(full_disk: Path):
    rows = "".join(f"张{n},44030419900101{n:04d}\n" for n in range(2000))  # ~60 KB
    with pytest.raises(StorageFull):
        store_upload(("姓名,身份证号\n" + rows).encode(), "ledger.csv")
    assert _files(full_disk / "imports") == []
    store_upload("姓名,身份证号\n张三,440304199001010011\n".encode(), "small.csv")
    assert [Path(f).suffix for f in _files(full_disk / "imports")] == [".csv"]
