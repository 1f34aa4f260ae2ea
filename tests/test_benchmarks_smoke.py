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
            line for line in out.splitlines() if name in line and re.search(r"\d[\d,]* (events|rows|points)/s", line)
        ]
        assert rows, f"no figure for {name!r} in:\n{out}"
    assert re.search(r"report\(\) \(locate \+ event \+ timeline\).*= \d+\.\d+ x bare INSERT", out), out
