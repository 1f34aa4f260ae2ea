"""Redis stopped under a running platform (a real redis-server of this test's own, on a free port): requests keep
being answered, readiness says the cache is degraded, and the cache is used again once Redis is back."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from django.core.cache import cache

from shequ.core import cache as shared

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server (Debian's redis)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(port: int, folder) -> subprocess.Popen:
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)


@pytest.fixture
def redis(tmp_path, settings, monkeypatch) -> Iterator[tuple[int, list[subprocess.Popen]]]:
    port = _free_port()
    procs = [_start(port, tmp_path)]
    settings.CACHES = {
        "default": {
            "BACKEND": "shequ.core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.5},
        }
    }
    monkeypatch.setattr(shared, "RETRY_SECONDS", 0.2)  # ask a stopped Redis again soon (5 s in production)
    yield port, procs
    for proc in procs:
        proc.terminate()
        proc.wait(10)


def _serves(client, world) -> None:
    lon, lat = world.point_in(world.g1)
    assert client.get("/api/geo/locate", {"lon": lon, "lat": lat}).status_code == 200
    assert client.get("/open311/v2/services.json").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_it_keeps_serving_while_redis_is_stopped_and_uses_it_again_after(client, world, redis, tmp_path):
    port, procs = redis
    client.force_login(world.community_staff)
    cache.set("shequ:test:probe", "before", 60)
    assert cache.get("shequ:test:probe") == "before"
    _serves(client, world)

    procs[0].terminate()
    procs[0].wait(10)
    _serves(client, world)  # every cache call is a miss or a skipped write, never an error
    assert cache.get("shequ:test:probe") is None
    body = json.loads(client.get("/readyz").content)
    assert (body["status"], body["checks"]["cache"]["status"]) == ("degraded", "degraded")

    procs.append(_start(port, tmp_path))
    time.sleep(0.3)  # past RETRY_SECONDS: the next call asks Redis again
    cache.set("shequ:test:probe", "after", 60)
    assert cache.get("shequ:test:probe") == "after"
    assert json.loads(client.get("/readyz").content)["checks"]["cache"]["status"] == "ok"
