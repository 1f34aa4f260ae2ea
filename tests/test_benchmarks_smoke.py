"""The benchmark suite keeps running: a quick run on a tiny district, on the database
this test run uses. Figures are printed by the suite, never asserted on here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
FIGURES = [
    "brute force: contains_xy over all",
    "shequ.geo.index.locate (STRtree)",
    "bare INSERT, 1 row per transaction",
    "bare INSERT, executemany in 1 transaction",
    "report() (locate + event + timeline)",
    "report() + accept() + dispatch()",
    "POST /api/events, in-process",
    "POST /api/events, runserver",
    "POST /api/events, wsgi-nodelay",
    "bulk load of the same rows into registry_person",
    "import_file() of a people ledger (CSV)",
    "read every person's matching fields",
    "resolve_identities() over everyone",
    "Person by primary key (admin)",
    "Person by primary key (community staff)",
    "read every person's id and phone (no area)",
    "targeting: resolve() + read every recipient",
    "bulk insert of the same Delivery rows (scratch copy)",
    "fan_out(): Delivery rows for the whole district",
    "delivery: 2 send_deliveries workers -> HTTP SMS sink",
    *[
        f"search_people: {kind} ({user})"
        for kind in ("name prefix", "pinyin initials", "phone", "ID suffix (4)", "full ID", "address")
        for user in ("admin", "community staff")
    ],
]


def _backend() -> list[str]:
    """SQLite, or PostgreSQL on the server this run uses, in a database of the benchmark's own
    (named after the run's, so two runs on one server do not drop each other's)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return ["--db", "sqlite"]
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "shequ"
    return ["--db", "postgres", "--pg-url", urlunsplit(parts._replace(path=f"/{name}_bench"))]


def test_it_runs_the_quick_benchmarks_and_prints_every_figure():
    args = [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", *_backend()]
    result = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600)

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    out = result.stdout
    assert "SKIPPED" not in out, out
    assert "=== summary ===" in out
    for name in FIGURES:
        rows = [
            line
            for line in out.splitlines()
            if name in line and re.search(r"\d[\d,]* (events|rows|points|people|queries|recipients|messages)/s", line)
        ]
        assert rows, f"no figure for {name!r} in:\n{out}"
    assert re.search(r"report\(\) \(locate \+ event \+ timeline\).*= \d+\.\d+ x bare INSERT", out), out
    # The registry: the import beside the bulk load, every ledger row created, its Change rows counted; the
    # planted duplicates accounted for; each search's median and p99 beside the primary-key lookup's.
    assert re.search(r"import_file\(\) of a people ledger \(CSV\).*= \d+\.\d+ x bulk load", out), out
    assert re.search(r"created 2,000, updated 0, merged 0, rejected 0; [\d,]+ Change rows written", out), out
    assert re.search(r"of 40 planted duplicates \d+ merged and \d+ queued", out), out
    assert "=== search latency (ms) ===" in out
    latency = re.findall(r"search_people: .+\s+\d+\s+(\d+\.\d+)\s+(\d+\.\d+)\s+[\d.,]+x the pk lookup", out)
    assert len(latency) == 12, out
    assert all(float(p99) >= float(median) > 0 for median, p99 in latency), latency
    # The alert (300 more residents at --quick, besides the registry's, 3 % of them also called): every message
    # reached the HTTP sink with a good signature, and the times from approval to the first and last are printed.
    assert re.search(r"fan_out\(\): Delivery rows .*= \d+\.\d+ x bulk insert of the same Delivery rows", out), out
    assert re.search(r"the sink verified ([\d,]+) signatures \(0 bad\); sms [\d,]+, voice 9; rows: sent \1;", out), out
    assert re.search(r"approval -> first message [\d.]+ s, -> last [\d.]+ s", out), out
