"""The production server as documented: `manage.py serve_production` on PostgreSQL + Redis, 2 web processes and a
task worker. Several processes are one platform: a sign-in made in one process holds in the other, and a grid
edit reaches the other's locate index within a second."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from shequ.access.models import User
from shequ.geo import actions as geo_actions
from tests.world import World, square

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REDIS = ("127.0.0.1", 6379, 6)


def _reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


@pytest.fixture
def server(tmp_path, world: World) -> Iterator[int]:
    if connection.vendor != "postgresql":
        pytest.skip("the production server needs PostgreSQL (set DATABASE_URL)")
    if not _reachable(*REDIS[:2]):
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not reachable on 127.0.0.1:6379 and CI requires it")
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS[2]}",
        "SHEQU_VAR_DIR": str(tmp_path / "var"),
        "SHEQU_2FA": "optional",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "serve_production",
            "--bind",
            f"127.0.0.1:{port}",
            "--web-workers",
            "2",
            "--task-workers",
            "1",
            "--no-scheduler",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90  # two processes importing Django on a busy 2-core machine
        while not _answers(port):
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "the server did not answer /healthz within 90 s"
            time.sleep(0.5)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _get(conn: http.client.HTTPConnection, path: str, cookie: str = "") -> tuple[int, dict, dict]:
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    resp = conn.getresponse()
    body = resp.read()
    return resp.status, dict(resp.getheaders()), json.loads(body) if body.startswith((b"{", b"[")) else {}


def _two_processes(port: int) -> tuple[http.client.HTTPConnection, http.client.HTTPConnection]:
    """Two kept-alive connections, each served by a different web process (a connection stays with its process)."""
    first = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    pid = _get(first, "/healthz")[2]["process"]
    for _ in range(200):
        other = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        if _get(other, "/healthz")[2]["process"] != pid:
            return first, other
        other.close()
    pytest.fail("every connection went to one process")


def test_two_web_processes_behave_as_one_platform(server, world):
    a, b = _two_processes(server)
    # Serves static files itself (WhiteNoise).
    a.request("GET", "/static/vendor/htmx/htmx.min.js")
    static = a.getresponse()
    assert static.status == 200 and static.read()

    # A session made in one process holds in the other (sessions live in the database).
    User.objects.filter(pk=world.resident.pk).update(
        password=PBKDF2PasswordHasher().encode("Resident-pw-2026", "saltsalt", 1000)
    )
    body = f"username={world.resident.username}&password=Resident-pw-2026"
    a.request("GET", "/portal/login/")
    login_page = a.getresponse()
    login_page.read()
    cookies = SimpleCookie()
    cookies.load(login_page.getheader("Set-Cookie") or "")
    csrf = cookies["csrftoken"].value
    a.request(
        "POST",
        "/portal/login/",
        body=body + f"&csrfmiddlewaretoken={csrf}",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"},
    )
    signed_in = a.getresponse()
    signed_in.read()
    assert signed_in.status == 302, signed_in.status
    cookies.load(signed_in.getheader("Set-Cookie") or "")
    session = f"sessionid={cookies['sessionid'].value}"
    status, _headers, _ = _get(b, "/portal/reports/", cookie=session)
    assert status == 200

    # The locate index: both processes have it built; an edit (here, from this test's process) reaches both.
    lon, lat = world.point_in(world.g1)
    ring = world.g1.boundary["coordinates"][0]
    x0, y0 = min(p[0] for p in ring), min(p[1] for p in ring)
    inside = f"/api/geo/locate?lon={x0 + 0.0001}&lat={y0 + 0.0001}"
    for conn in (a, b):
        status, _headers, found = _get(conn, inside, cookie=session)
        assert (status, found["grid"]["code"]) == (200, world.g1.code)
    geo_actions.update_region(world.g1, boundary=square(lon - 0.0005, lat - 0.0005, lon + 0.0005, lat + 0.0005))
    seen_at = None
    start = time.monotonic()
    while time.monotonic() - start < 1.0:
        status, _headers, found = _get(b, inside, cookie=session)
        if (status == 200 and found.get("grid") is None) or status == 404:
            seen_at = time.monotonic() - start
            break
        time.sleep(0.05)
    assert seen_at is not None, "the other process still places the point in the old grid after a second"
    status, _headers, found = _get(a, inside, cookie=session)
    assert status == 404 or found.get("grid") is None
