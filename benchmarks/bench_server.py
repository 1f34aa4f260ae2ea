"""Intake through the production server: ``POST /api/events`` to ``manage.py serve_production`` on PostgreSQL.

The server runs as it does in production (gunicorn gthread web processes, a task worker, the scheduler; the shared
cache in Redis when one answers), in a subprocess on a free port. The client is asyncio in the benchmark process:
``--clients`` keep-alive connections, each sending its next request when the last answer came (closed loop), for
the time bound; then an open loop at a fixed rate (``--rate``, default 200 requests/s) for the latency at that
load; then report + accept + dispatch over HTTP (the 12345 system reports, the community desk accepts and
dispatches with its own token). Every request carries a distinct ``source_ref``. Figures are compared with the bare
INSERT measured in the same run (bench_events); the client shares the machine's cores with the server, as any
load generator on one machine does.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import bench_http
from bench_env import REPO, World
from figures import Figure, compare

HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def redis_url() -> str | None:
    """The local Redis when it answers (production shares the cache there), else None. ``SHEQU_BENCH_REDIS_URL``
    names another database (runs side by side on one Redis must not share one)."""
    try:
        with socket.create_connection((HOST, 6379), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return os.environ.get("SHEQU_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    except OSError:
        pass
    return None


@contextmanager
def production_server(var_dir: Path, *, web_workers: int, threads: int):
    from django.db import connections

    connections.close_all()
    port = _free_port()
    env = os.environ.copy()
    env.pop("SHEQU_TASKS", None)  # serve_production runs its children on the database task queue
    if url := redis_url():
        env["REDIS_URL"] = url
    log_path = var_dir / "server-production.log"
    log = log_path.open("wb")
    argv = [sys.executable, str(REPO / "manage.py"), "serve_production", "--bind", f"{HOST}:{port}"]
    argv += ["--web-workers", str(web_workers), "--threads", str(threads), "--task-workers", "1"]
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"serve_production exited ({proc.returncode}): {log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection((HOST, port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("serve_production did not listen within 90 s") from None
                time.sleep(0.2)
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        log.close()


# --- CPU spent per request: the server's processes and the database's backends (robust to a busy machine) -----


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICK


def _group(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:  # the process group: serve_production and every child it started
                pids.append(int(entry.name))
    return pids


def _backends() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cursor.fetchall()]
    connection.close()
    return pids


class CpuMeter:
    """CPU seconds of the server's process group and of the database backends serving it, over a phase (a backend
    that ends during the phase is not counted: the figure errs low, never high)."""

    def __init__(self, pgid: int) -> None:
        self.pgid = pgid

    def __enter__(self) -> CpuMeter:
        self.server0 = _cpu_seconds(_group(self.pgid))
        self.db0 = {pid: _cpu_seconds([pid]) for pid in _backends()}
        return self

    def __exit__(self, *exc: object) -> None:
        self.server = _cpu_seconds(_group(self.pgid)) - self.server0
        after = {pid: _cpu_seconds([pid]) for pid in self.db0}
        self.db = sum(max(0.0, after[pid] - self.db0[pid]) for pid in self.db0 if after[pid] > 0)


# --- the client -------------------------------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection: request, read the whole answer (Content-Length)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, token: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            sock = self.writer.get_extra_info("socket")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        assert self.reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        data = await self.reader.readexactly(length) if length else b""
        if close:
            self.writer.close()
            self.writer = None
        return int(status_line.split()[1]), data


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def _closed_loop(port: int, token: str, payloads: list[bytes], clients: int, seconds: float) -> dict:
    queue = iter(payloads)
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        conn = Connection(port)
        while time.perf_counter() < deadline:
            body = next(queue, None)
            if body is None:
                return
            started = time.perf_counter()
            status, data = await conn.request("POST", "/api/events", token, body)
            latencies.append(time.perf_counter() - started)
            if status != 201:
                errors.append(f"{status} {data[:160]!r}")

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return {"done": len(latencies), "elapsed": time.perf_counter() - started, "latencies": latencies, "errors": errors}


async def _open_loop(port: int, token: str, payloads: list[bytes], rate: float, seconds: float) -> dict:
    """Requests sent at a fixed rate whatever the answers do (a pool of connections takes them)."""
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(64):
        pool.put_nowait(Connection(port))
    latencies: list[float] = []
    errors: list[str] = []

    async def one(body: bytes, due: float) -> None:
        conn = await pool.get()
        try:
            status, data = await conn.request("POST", "/api/events", token, body)
        finally:
            pool.put_nowait(conn)
        latencies.append(time.perf_counter() - due)  # from when it was due: waiting for a connection counts
        if status != 201:
            errors.append(f"{status} {data[:160]!r}")

    tasks = []
    started = time.perf_counter()
    for n, body in enumerate(payloads[: int(rate * seconds)]):
        due = started + n / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(body, due)))
    await asyncio.gather(*tasks)
    return {"done": len(latencies), "elapsed": time.perf_counter() - started, "latencies": latencies, "errors": errors}


async def _loops(
    port: int, world: World, desk_tokens: dict[str, str], payloads: list[bytes], clients: int, seconds: float
) -> dict:
    """report (system) -> accept -> dispatch (the event's desk), one event per client at a time."""
    queue = iter(payloads)
    done: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        conn = Connection(port)
        while time.perf_counter() < deadline and (body := next(queue, None)) is not None:
            started = time.perf_counter()
            status, data = await conn.request("POST", "/api/events", world.token, body)
            if status != 201:
                errors.append(f"report {status} {data[:160]!r}")
                continue
            event = json.loads(data)
            token = desk_tokens.get(event["desk"]["code"]) or next(iter(desk_tokens.values()))
            code = event["code"]
            for action, payload in (("accept", {}), ("dispatch", {})):
                status, data = await conn.request(
                    "POST", f"/api/events/{code}/{action}", token, json.dumps(payload).encode()
                )
                if status >= 300:
                    errors.append(f"{action} {status} {data[:160]!r}")
                    break
            else:
                done.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return {"done": len(done), "elapsed": time.perf_counter() - started, "latencies": done, "errors": errors}


def _rss_mb(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    found[pid] = int(line.split()[1]) / 1024
        except OSError:
            continue
    return found


SOAK_GRACE = 10.0


async def _soak(port: int, pgid: int, world: World, payloads: list[bytes], rate: float, seconds: float) -> dict:
    """Mixed traffic at a fixed rate: of every 10 requests 3 list events, 2 read one, 2 report, 1 asks the intake
    suggestion, 1 reads the Open311 feed, 1 locates a point; every process's memory sampled each 10 s."""
    codes: list[str] = []
    lon, lat = json.loads(payloads[0])["lon"], json.loads(payloads[0])["lat"]
    suggest = json.dumps({"text": "小区门口垃圾桶满了没人清", "lon": lon, "lat": lat}, ensure_ascii=False).encode()
    mix: list[tuple[str, str, bytes]] = [
        ("GET", "/api/events?page=1", b""),
        ("POST", "/api/events", b""),
        ("GET", "/api/events/{code}", b""),
        ("GET", "/api/events?page=2", b""),
        ("POST", "/api/intake/suggest", suggest),
        ("GET", "/api/events?status=reported", b""),
        ("GET", "/open311/v2/requests.json", b""),
        ("POST", "/api/events", b""),
        ("GET", f"/api/geo/locate?lon={lon}&lat={lat}", b""),
        ("GET", "/api/events/{code}", b""),
    ]
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(64):
        pool.put_nowait(Connection(port))
    latencies: list[float] = []
    errors: list[str] = []
    reports = iter(payloads)
    samples: list[dict[int, float]] = [_rss_mb(_group(pgid))]

    async def one(method: str, path: str, body: bytes, due: float) -> None:
        if path == "/api/events" and method == "POST":
            body = next(reports)
        if "{code}" in path:
            if not codes:
                return
            path = path.replace("{code}", codes[len(latencies) % len(codes)])
        conn = await pool.get()
        try:
            status, data = await conn.request(method, path, world.token, body)
        finally:
            pool.put_nowait(conn)
        latencies.append(time.perf_counter() - due)
        if status >= 400:
            errors.append(f"{method} {path} {status} {data[:120]!r}")
        elif method == "POST" and path == "/api/events":
            codes.append(json.loads(data)["code"])

    tasks = []
    started = time.perf_counter()
    next_sample = started + 10
    for n in range(int(rate * seconds)):
        due = started + n / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        if time.perf_counter() >= next_sample:
            samples.append(_rss_mb(_group(pgid)))
            next_sample += 10
        method, path, body = mix[n % len(mix)]
        tasks.append(asyncio.create_task(one(method, path, body, due)))
    # The soak lasts its time: requests still waiting SOAK_GRACE s after the last was due are dropped and counted
    # (a server slower than the rate would otherwise make a 30-minute soak run for hours).
    _done, waiting = await asyncio.wait(tasks, timeout=SOAK_GRACE) if tasks else (set(), set())
    for task in waiting:
        task.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)
    samples.append(_rss_mb(_group(pgid)))
    return {
        "done": len(latencies),
        "elapsed": time.perf_counter() - started,
        "latencies": latencies,
        "errors": errors,
        "samples": samples,
        "dropped": len(waiting),
    }


def _memory_note(samples: list[dict[int, float]]) -> str:
    """Per process that lived through the soak: RSS at the start -> at the end (MB)."""
    first, last = samples[0], samples[-1]
    kept = sorted(pid for pid in first if pid in last)
    return ", ".join(f"{first[pid]:.0f}->{last[pid]:.0f}" for pid in kept)


def _desk_tokens(world: World) -> dict[str, str]:
    from shequ.access.models import ApiToken

    tokens = {}
    for user in world.desk_staff.values():
        _token, key = ApiToken.issue(user=user, name="benchmark desk")
        tokens[user.region.code] = key
    return tokens


def _figure(name: str, result: dict, note: str, baseline: Figure, cpu: CpuMeter, unit: str = "requests/s") -> Figure:
    lat = result["latencies"]
    note = f"{note}; p50 {_percentile(lat, 0.5) * 1000:.1f} ms, p99 {_percentile(lat, 0.99) * 1000:.1f} ms"
    if result["done"]:
        per = 1000 / result["done"]
        note += f"; CPU per request: server {cpu.server * per:.1f} ms + database {cpu.db * per:.1f} ms"
    if result["errors"]:
        note += f"; {len(result['errors'])} errors, first: {result['errors'][0]}"
    figure = Figure(
        "postgres", "server", name, result["done"] - len(result["errors"]), result["elapsed"], unit, note=note
    )
    return compare(figure, baseline)


def run(
    backend: str,
    world: World,
    *,
    baseline: Figure,
    seconds: float,
    clients: int,
    rate: float,
    web_workers: int,
    threads: int,
    seed: int,
    var_dir: Path,
    say,
    soak_seconds: float = 0,
) -> tuple[list[Figure], list[str]]:
    if backend != "postgres":
        return [], ["the production server runs on PostgreSQL only"]
    desk_tokens = _desk_tokens(world)
    payloads = bench_http._payloads(world, int(max(rate, 1000) * seconds * 3 + rate * soak_seconds) + 100, seed)
    figures = []
    server = f"serve_production: {web_workers} gunicorn processes x {threads} threads, 1 task worker"
    with production_server(var_dir, web_workers=web_workers, threads=threads) as (port, pgid):
        warm = asyncio.run(_closed_loop(port, world.token, payloads[:20], 2, 60))
        if warm["errors"]:
            return [], [f"the server refused the warm-up: {warm['errors'][0]}"]
        rest = payloads[20:]
        say(f"server: closed loop, {clients} clients, {seconds:g} s")
        with CpuMeter(pgid) as cpu:
            closed = asyncio.run(_closed_loop(port, world.token, rest, clients, seconds))
        rest = rest[closed["done"] :]
        figures.append(_figure(f"POST /api/events, {clients} clients", closed, server, baseline, cpu))
        say(f"server: open loop at {rate:g} requests/s, {seconds:g} s")
        with CpuMeter(pgid) as cpu:
            fixed = asyncio.run(_open_loop(port, world.token, rest, rate, seconds))
        rest = rest[fixed["done"] :]
        figures.append(
            _figure(f"POST /api/events at {rate:g}/s", fixed, server + "; latency from when due", baseline, cpu)
        )
        say(f"server: report + accept + dispatch, {clients} clients, {seconds:g} s")
        with CpuMeter(pgid) as cpu:
            loops = asyncio.run(_loops(port, world, desk_tokens, rest, clients, seconds))
        name = f"report + accept + dispatch, {clients} clients"
        figures.append(_figure(name, loops, server + "; 3 requests each", baseline, cpu, unit="loops/s"))
        if soak_seconds:
            rest = rest[loops["done"] :]
            say(f"server: soak, mixed traffic at {rate:g} requests/s for {soak_seconds:g} s")
            with CpuMeter(pgid) as cpu:
                soak = asyncio.run(_soak(port, pgid, world, rest, rate, soak_seconds))
            note = f"{server}; mixed: lists, details, reports, suggestions, Open311, locate; latency from when due"
            note += f"; RSS per process, MB, start->end: {_memory_note(soak['samples'])}"
            note += f"; {soak['dropped']:,} of {int(rate * soak_seconds):,} not served by the end (dropped)"
            figures.append(_figure(f"soak, mixed at {rate:g}/s for {soak_seconds:g} s", soak, note, baseline, cpu))
    return figures, []
