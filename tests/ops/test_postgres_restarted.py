"""PostgreSQL restarted during a stream of intake requests. A cluster of this test's own (initdb, pg_ctl, on a free
port) holds a copy of the test database; the production server runs on it; clients post reports with their
source_ref and retry whatever fails; the cluster is restarted mid-stream. Every report is stored exactly once, and
what clients saw while the database was away were clear 503 answers (or a refused connection), never a 500."""

from __future__ import annotations

import glob
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.world import World, token_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
REPORTS = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: the cluster belongs to the postgres account then.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class Cluster:
    def __init__(self, folder: Path, port: int) -> None:
        self.bin = Path(BIN[-1]).parent
        self.folder, self.port = folder, port
        self.data = folder / "data"

    def run(self, *argv: str, timeout: float = 60) -> None:
        subprocess.run(
            _as_postgres([str(self.bin / argv[0]), *argv[1:]]),
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=on"
        self.run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-o", options, "-w", "-m", "fast", action
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/shequ"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if connection.vendor != "postgresql":
        pytest.skip("the fault is PostgreSQL's (set DATABASE_URL)")
    if not BIN:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL's initdb is not installed and CI requires this test")
        pytest.skip("needs PostgreSQL's server binaries (initdb, pg_ctl) for a cluster of the test's own")
    folder = Path(tempfile.mkdtemp(prefix="shequ-pg-"))  # not under pytest's tmp: the postgres account must reach it
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    c = Cluster(folder, _free_port())
    c.init()
    c.ctl("start")
    try:
        yield c
    finally:
        try:
            c.ctl("stop")
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _copy_test_database(target: Cluster) -> None:
    """The test database as it is now (the world, committed) into the cluster's database ``shequ``."""
    db = connection.settings_dict
    source = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    connection.close()
    with psycopg.connect(f"postgres://postgres@127.0.0.1:{target.port}/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE shequ")
    dump = subprocess.run(
        ["pg_dump", "--no-owner", "--no-privileges", source], check=True, capture_output=True, timeout=120
    ).stdout
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", target.url],
        input=dump,
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
    )


@pytest.fixture
def server(cluster: Cluster, world: World, tmp_path) -> Iterator[tuple[int, str]]:
    token = token_for(world.system, channel="hotline")
    _copy_test_database(cluster)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": cluster.url, "SHEQU_VAR_DIR": str(tmp_path / "var"), "SHEQU_2FA": "optional"}
    env.pop("REDIS_URL", None)
    argv = [
        sys.executable,
        "manage.py",
        "serve_production",
        "--bind",
        f"127.0.0.1:{port}",
        "--web-workers",
        "2",
        "--threads",
        "4",
        "--task-workers",
        "0",
        "--no-scheduler",
    ]
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "server.log").open("wb"), start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while not _answers(port):
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the production server did not answer within 60 s"
            time.sleep(0.2)
        yield port, token
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def test_every_report_is_stored_once_across_a_database_restart(cluster, server, world):
    port, token = server
    lon, lat = world.point_in(world.g1)
    seen: dict[int, int] = {}  # status -> count, of every answer the clients got
    failures: list[str] = []
    stored: dict[str, str] = {}  # source_ref -> event code
    lock = threading.Lock()
    restarted = threading.Event()
    half = threading.Event()

    def client(first: int, step: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        for n in range(first, REPORTS, step):
            ref = f"restart-{n}"
            body = json.dumps(
                {"description": f"路面坑洼 {n}", "category": "0101", "lon": lon, "lat": lat, "source_ref": ref},
                ensure_ascii=False,
            ).encode()
            deadline = time.monotonic() + 90
            while True:  # a client that follows the API: retry with the same source_ref until it is taken
                try:
                    conn.request(
                        "POST",
                        "/api/events",
                        body=body,
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                    )
                    response = conn.getresponse()
                    data = response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    conn.close()
                    status, data = 0, b""  # refused or cut: the same as no answer
                with lock:
                    seen[status] = seen.get(status, 0) + 1
                if status in (200, 201):
                    with lock:
                        stored[ref] = json.loads(data)["code"]
                    break
                if status not in (0, 503):
                    with lock:
                        failures.append(f"{ref}: {status} {data[:200]!r}")
                    break
                if time.monotonic() > deadline:
                    with lock:
                        failures.append(f"{ref}: still failing after 90 s")
                    break
                time.sleep(0.2)
            if len(stored) >= REPORTS // 3:
                half.set()
            if n > REPORTS // 2:
                restarted.wait(60)  # the second half goes after the restart began

    threads = [threading.Thread(target=client, args=(i, 4)) for i in range(4)]
    for t in threads:
        t.start()
    assert half.wait(60), "the first third of the reports did not go through"
    cluster.ctl("stop")  # -m fast: open connections are cut, new ones refused until it is up again
    deadline = time.monotonic() + 30
    while seen.get(0, 0) + seen.get(503, 0) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # until a client has felt it (while it is down every request fails)
    cluster.ctl("start")
    restarted.set()
    for t in threads:
        t.join(120)

    assert failures == []
    assert len(stored) == REPORTS
    with psycopg.connect(cluster.url) as conn:
        rows = conn.execute("SELECT source_ref, code FROM events_event WHERE source_ref LIKE 'restart-%%'").fetchall()
        reports = conn.execute(
            "SELECT count(*) FROM events_timelineentry t JOIN events_event e ON e.id = t.event_id "
            "WHERE e.source_ref LIKE 'restart-%%' AND t.action = 'report'"
        ).fetchone()[0]
    assert len(rows) == REPORTS and dict(rows) == stored  # each once, and the code each client was told
    assert reports == REPORTS  # one timeline row each: nothing doubled
    assert seen.get(503, 0) > 0 and set(seen) <= {0, 200, 201, 503}, seen  # felt as 503s (or no answer), never 500
