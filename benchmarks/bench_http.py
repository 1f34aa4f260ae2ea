"""``POST /api/events`` through a real server process beside the bare INSERT baseline.

First in-process, through Django's test Client (the whole request path with no
socket), then two servers, each a subprocess on 127.0.0.1 at a free port, on the
same database:

* ``manage.py runserver --noreload``: Django's threaded WSGI server, what
  ``manage.py serve`` (``make demo``) runs. It leaves Nagle's algorithm on, so on
  a keep-alive connection each response's body waits for the client's delayed
  ACK (~40 ms on Linux); that stall is part of this figure.
* ``benchmarks/wsgi_server.py``: the same server class and app with TCP_NODELAY,
  which shows the application's own cost over HTTP.

The client is ``http.client`` in the benchmark process: one keep-alive
connection, one request at a time, bounded in count and time, each request with
the Bearer token of the 12345 hotline system user and a distinct ``source_ref``.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from bench_env import REPO, World, grid_geometries, random_points
from figures import Figure, bounded, compare

HOST = "127.0.0.1"
PATH = "/api/events"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


SERVERS = {
    "runserver": lambda port: [sys.executable, str(REPO / "manage.py"), "runserver", "--noreload", f"{HOST}:{port}"],
    "wsgi-nodelay": lambda port: [sys.executable, str(Path(__file__).with_name("wsgi_server.py")), str(port)],
}
SERVER_LABELS = {
    "runserver": "manage.py runserver (Nagle on)",
    "wsgi-nodelay": "Django WSGI server, TCP_NODELAY",
}


@contextmanager
def server(kind: str, var_dir: Path):
    """A server process on a free port; stopped (by its own pid) on the way out."""
    from django.db import connections

    connections.close_all()  # the server gets the database to itself while it runs
    port = free_port()
    log_path = var_dir / f"server-{kind}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        SERVERS[kind](port),
        cwd=REPO,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(port, proc, log_path)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_until_up(port: int, proc: subprocess.Popen, log_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}): {log_path.read_text()[-2000:]}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not listen on {HOST}:{port} within {timeout:.0f} s")


def _payloads(world: World, count: int, seed: int) -> list[bytes]:
    _codes, geoms = grid_geometries()
    points = random_points(geoms, count, seed=seed)
    return [
        json.dumps(
            {
                "description": f"市民来电反映：路面坑洼（基准{i}）",
                "category": world.categories[i % len(world.categories)].code,
                "lon": lon,
                "lat": lat,
                "source_ref": f"bench-{seed}-{i}",
            },
            ensure_ascii=False,
        ).encode()
        for i, (lon, lat) in enumerate(points)
    ]


def run(
    backend: str, world: World, *, baseline: Figure, events: int, seconds: float, seed: int, var_dir: Path
) -> tuple[list[Figure], list[str]]:
    """The HTTP figures (in-process first, then each server), and the reasons for any skipped."""
    figures, skipped = [], []
    in_process, reason = _run_in_process(world, events=events, seconds=seconds, seed=seed + len(SERVERS))
    if in_process is None:
        skipped.append(f"in-process: {reason}")
    else:
        in_process.backend = backend
        figures.append(compare(in_process, baseline))
    for n, kind in enumerate(SERVERS):
        figure, reason = _run_one(kind, world, events=events, seconds=seconds, seed=seed + n, var_dir=var_dir)
        if figure is None:
            skipped.append(f"{SERVER_LABELS[kind]}: {reason}")
        else:
            figure.backend = backend
            figures.append(compare(figure, baseline))
    return figures, skipped


def _run_one(
    kind: str, world: World, *, events: int, seconds: float, seed: int, var_dir: Path
) -> tuple[Figure | None, str | None]:
    payloads = _payloads(world, events + 1, seed)
    headers = {"Authorization": f"Bearer {world.token}", "Content-Type": "application/json; charset=utf-8"}
    with server(kind, var_dir) as port:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        # One request outside the timing: the first one imports and warms the server.
        status, body = _post(conn, payloads[0], headers)
        if status in (404, 405):
            return None, f"POST {PATH} is not there yet ({status})"
        if not 200 <= status < 300:
            return None, f"POST {PATH} answered {status}: {body[:300]!r}"
        stats = {"errors": 0, "first_error": "", "closed": 0}

        def post(payload: bytes) -> None:
            status, body = _post(conn, payload, headers, stats)
            if not 200 <= status < 300:
                stats["errors"] += 1
                stats["first_error"] = stats["first_error"] or f"{status} {body[:200]!r}"

        done, elapsed = bounded(payloads[1:], post, seconds=seconds)
        conn.close()
    connection = "1 keep-alive connection" if not stats["closed"] else f"connection reopened {stats['closed']}x"
    note = f"{SERVER_LABELS[kind]}; http.client, {connection}, sequential; Bearer token; report() on the server"
    if stats["errors"]:
        note += f"; {stats['errors']} non-2xx answers, first: {stats['first_error']}"
    figure = Figure("", "events", f"POST {PATH}, {kind}", done - stats["errors"], elapsed, unit="events/s", note=note)
    return figure, None


def _run_in_process(world: World, *, events: int, seconds: float, seed: int) -> tuple[Figure | None, str | None]:
    """The same requests through Django's test Client: the whole request path (middleware,
    auth, ninja, report(), the detail) without a socket or a server process."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {world.token}")
    payloads = _payloads(world, events + 1, seed)
    response = client.post(PATH, payloads[0], content_type="application/json")
    if not 200 <= response.status_code < 300:
        return None, f"POST {PATH} answered {response.status_code}: {response.content[:300]!r}"
    errors = []

    def post(payload: bytes) -> None:
        response = client.post(PATH, payload, content_type="application/json")
        if not 200 <= response.status_code < 300:
            errors.append(f"{response.status_code} {response.content[:200]!r}")

    done, elapsed = bounded(payloads[1:], post, seconds=seconds)
    note = "django.test.Client in the benchmark process: middleware, token auth, ninja, report(), detail; no socket"
    if errors:
        note += f"; {len(errors)} non-2xx answers, first: {errors[0]}"
    return Figure(
        "", "events", f"POST {PATH}, in-process", done - len(errors), elapsed, unit="events/s", note=note
    ), None


def _post(conn: http.client.HTTPConnection, body: bytes, headers: dict, stats: dict | None = None) -> tuple[int, bytes]:
    conn.request("POST", PATH, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.will_close and stats is not None:
        stats["closed"] += 1
    return response.status, data
