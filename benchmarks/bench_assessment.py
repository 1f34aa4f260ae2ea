"""Assessment: a street board over N events beside a DuckDB scan of the same rows, and the rollups' write cost.

    .venv/bin/python benchmarks/bench_assessment.py [--db sqlite|postgres|all] [--events N] [--scale 10m]

* **The street board**: every indicator of one street for the last 30 days and for this year, in total and per
  community (``figures.figures_for`` twice, over the rollups), the median of several runs. The N events' facts are
  generated in bulk (shaped like ``derive.py``'s output: a report-day fact and, for most, a closing fact with a
  unit), then the rollups are summed by ``rollups.sum_rollups`` (the rebuild's SQL) — N events through the real
  actions would take hours at 10,000,000.
* Beside it, in the same run: the same sums straight from the facts table (no rollups), and a DuckDB scan of the
  facts exported to Parquet (pyarrow; the export's own time is printed too).
* **Write cost on the event loop**: report + accept + dispatch per second through the real actions, without the
  rollups (no listener), with the listener queueing only (``SHEQU_ASSESSMENT_FOLD=tick``), and with the fold after
  every commit (``commit``, the default: the in-process task backend runs it right there).

The default N (100,000) keeps a run under a minute; ``--scale 10m`` is the 10,000,000-event figure. Also run by
``benchmarks/run.py --only assessment``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from figures import Figure, bounded, compare, table

HERE = Path(__file__).resolve().parent
DEFAULT_EVENTS = 100_000
SCALES = {"10m": 10_000_000, "1m": 1_000_000}
BOARD_RUNS = 5
CHUNK = 20_000


# --- the generated facts -----------------------------------------------------------------------------------------


def _fact_rows(count: int, *, seed: int, communities: list[str], units: list[int], today: date):
    """Rows of assessment_fact for ``count`` events over the last 400 days: a report-day fact for each, a closing
    fact (with a unit) for about 70% of them."""
    from shequ.assessment.indicators import MEASURE_CODES

    rng = random.Random(seed)
    index = {m: i for i, m in enumerate(MEASURE_CODES)}
    channels = ["resident", "grid_worker", "hotline", "device"]
    categories = ["0101", "0102", "0201", "0301", "0402"]
    for event in range(1, count + 1):
        day = today - timedelta(days=int(rng.random() ** 1.5 * 400))
        community = communities[event % len(communities)]
        grid = community + f"{1 + event % 3:03}"
        unit = units[event % len(units)] if units else None
        first = [0] * len(MEASURE_CODES)
        for m in ("reported", "response_base", "accepted"):
            first[index[m]] = 1
        first[index["responded"]] = 1 if rng.random() < 0.9 else 0
        closed = rng.random() < 0.7
        first[index["accepted_closed"]] = 1 if closed else 0
        first[index["self_found"]] = 1 if event % 4 == 1 else 0
        channel, category = channels[event % 4], categories[event % 5]
        yield ("event", event, day, community, grid, category, channel, None, None, *first)
        if closed:
            second = [0] * len(MEASURE_CODES)
            late = rng.random() < 0.1
            for m in ("dispatched", "cycles", "handled", "verified", "closed", "rated"):
                second[index[m]] = 1
            second[index["cycles_overdue"]] = 1 if late else 0
            second[index["handled_on_time"]] = 0 if late else 1
            second[index["close_minutes"]] = rng.randint(60, 3000)
            second[index["rated_good"]] = 1 if rng.random() < 0.85 else 0
            close_day = min(today, day + timedelta(days=rng.randint(0, 3)))
            yield ("event", event, close_day, community, grid, category, channel, unit, None, *second)


# The same facts made by PostgreSQL itself (generate_series, random() seeded by setseed): same shape and rates as
# ``_fact_rows``, not the same rows. At 1,000,000 events the Python rows through executemany took most of a 351 s
# load; this is the path that makes 10,000,000 feasible in one sitting.
_PG_EVENTS = """
INSERT INTO assessment_fact (source, source_id, day, community_code, area_code, category_code, channel, unit_id,
                             person_id, {columns})
WITH e AS MATERIALIZED (
    SELECT g AS event,
           %(today)s::date - floor(power(random(), 1.5) * 400)::int AS day,
           random() AS r_resp, random() AS r_closed, random() AS r_late, random() AS r_good,
           random() AS r_close_day, random() AS r_minutes,
           (%(communities)s::text[])[1 + g %% %(n_communities)s] AS community,
           (%(units)s::bigint[])[1 + g %% greatest(%(n_units)s, 1)] AS unit,
           (ARRAY['resident', 'grid_worker', 'hotline', 'device'])[1 + g %% 4] AS channel,
           (ARRAY['0101', '0102', '0201', '0301', '0402'])[1 + g %% 5] AS category
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
)
SELECT 'event', event, day, community, community || lpad((1 + event %% 3)::text, 3, '0'), category, channel,
       NULL::bigint, NULL::bigint, {opening}
FROM e
UNION ALL
SELECT 'event', event, least(%(today)s::date, day + floor(r_close_day * 4)::int), community,
       community || lpad((1 + event %% 3)::text, 3, '0'), category, channel, unit, NULL::bigint, {closing}
FROM e WHERE r_closed < 0.7
"""


def _pg_measures() -> tuple[str, str, str]:
    """(column list, the opening fact's values, the closing fact's values) in MEASURE_CODES order."""
    from shequ.assessment.indicators import MEASURE_CODES

    opening = dict.fromkeys(("reported", "response_base", "accepted"), "1") | {
        "responded": "(r_resp < 0.9)::int",
        "accepted_closed": "(r_closed < 0.7)::int",
        "self_found": "(event %% 4 = 1)::int",
    }
    closing = dict.fromkeys(("dispatched", "cycles", "handled", "verified", "closed", "rated"), "1") | {
        "cycles_overdue": "(r_late < 0.1)::int",
        "handled_on_time": "(r_late >= 0.1)::int",
        "close_minutes": "60 + floor(r_minutes * 2941)::bigint",
        "rated_good": "(r_good < 0.85)::int",
    }
    return (
        ", ".join(MEASURE_CODES),
        ", ".join(opening.get(m, "0") for m in MEASURE_CODES),
        ", ".join(closing.get(m, "0") for m in MEASURE_CODES),
    )


def _load_pg(count: int, *, seed: int, communities: list[str], units: list[int], say) -> int:
    from django.db import connection, transaction

    columns, opening, closing = _pg_measures()
    sql = _PG_EVENTS.format(columns=columns, opening=opening, closing=closing)
    params = {
        "today": date.today(),
        "communities": communities,
        "n_communities": len(communities),
        "units": units or [None],
        "n_units": len(units),
    }
    step, written = 500_000, 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        for first in range(1, count + 1, step):
            last = min(count, first + step - 1)
            with transaction.atomic():
                cursor.execute(sql, {**params, "first": first, "last": last})
                written += cursor.rowcount
            say(f"  events up to {last:,}: {written:,} facts")
    return written


def load_facts(count: int, *, seed: int, say) -> tuple[int, float]:
    """Bulk-insert the facts and sum the rollups; returns (facts, seconds)."""
    from django.db import connection, transaction

    from shequ.access.models import Unit
    from shequ.assessment.indicators import MEASURE_CODES
    from shequ.assessment.models import Fact, Rollup
    from shequ.assessment.rollups import sum_rollups
    from shequ.geo.models import Region, RegionLevel

    communities = list(Region.objects.filter(level=RegionLevel.COMMUNITY).values_list("code", flat=True))
    units = list(Unit.objects.values_list("pk", flat=True))
    columns = "source, source_id, day, community_code, area_code, category_code, channel, unit_id, person_id"
    sql = (
        f"INSERT INTO assessment_fact ({columns}, {', '.join(MEASURE_CODES)}) "
        f"VALUES ({', '.join(['%s'] * (9 + len(MEASURE_CODES)))})"
    )
    started = time.perf_counter()
    Fact.objects.all().delete()
    Rollup.objects.all().delete()
    today = date.today()
    if connection.vendor == "postgresql":
        written = _load_pg(count, seed=seed, communities=communities, units=units, say=say)
    else:
        written = _load_python(sql, count, seed=seed, communities=communities, units=units, today=today, say=say)
    say(f"  {written:,} facts in {time.perf_counter() - started:.1f} s; summing the rollups")
    with transaction.atomic():
        sum_rollups()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE assessment_fact")
            cursor.execute("ANALYZE assessment_rollup")
    return written, time.perf_counter() - started


def _load_python(sql: str, count: int, *, seed: int, communities, units, today: date, say) -> int:
    from django.db import connection, transaction

    written, batch = 0, []
    with connection.cursor() as cursor:
        for row in _fact_rows(count, seed=seed, communities=communities, units=units, today=today):
            batch.append(row)
            if len(batch) >= CHUNK:
                with transaction.atomic():
                    cursor.executemany(sql, batch)
                written += len(batch)
                batch = []
                if written % (CHUNK * 25) == 0:
                    say(f"  {written:,} facts")
        if batch:
            with transaction.atomic():
                cursor.executemany(sql, batch)
            written += len(batch)
    return written


# --- the three ways to read a street board ------------------------------------------------------------------


def _periods():
    from shequ.assessment.queries import Period

    return [Period.last_days(30), Period.this_year()]


def board_from_rollups(street: str) -> dict:
    from shequ.assessment.figures import figures_for
    from shequ.assessment.queries import Scope

    return {p: figures_for(Scope(area=street), p, by="community").totals for p in _periods()}


def board_from_facts(street: str) -> dict:
    from django.db import connection

    from shequ.assessment.indicators import MEASURE_CODES

    sums = ", ".join(f"SUM({m})" for m in MEASURE_CODES)
    found = {}
    with connection.cursor() as cursor:
        for p in _periods():
            cursor.execute(
                f"SELECT community_code, {sums} FROM assessment_fact WHERE community_code LIKE %s "
                f"AND day >= %s AND day <= %s GROUP BY community_code",
                [street + "%", p.start, p.end],
            )
            found[p] = cursor.fetchall()
    return found


def export_parquet(path: Path) -> tuple[int, float]:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from django.db import connection, transaction

    from shequ.assessment.indicators import MEASURE_CODES

    started = time.perf_counter()
    schema = pa.schema(
        [("community_code", pa.string()), ("day", pa.date32()), *((m, pa.int64()) for m in MEASURE_CODES)]
    )
    rows = 0
    # A server-side cursor (PostgreSQL): 10,000,000 events' facts do not fit in the client's memory at once.
    with transaction.atomic(), pq.ParquetWriter(path, schema) as writer, connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT community_code, day, {', '.join(MEASURE_CODES)} FROM assessment_fact")
        while chunk := cursor.fetchmany(100_000):
            columns = list(zip(*chunk, strict=True))
            days = [d if isinstance(d, date) else date.fromisoformat(d) for d in columns[1]]
            arrays = [pa.array(columns[0], pa.string()), pa.array(days, pa.date32())]
            arrays += [pa.array(c, pa.int64()) for c in columns[2:]]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            rows += len(chunk)
    return rows, time.perf_counter() - started


def board_from_parquet(duck, path: Path, street: str) -> dict:
    from shequ.assessment.indicators import MEASURE_CODES

    sums = ", ".join(f"SUM({m})" for m in MEASURE_CODES)
    found = {}
    for p in _periods():
        found[p] = duck.execute(
            f"SELECT community_code, {sums} FROM read_parquet(?) WHERE community_code LIKE ? "
            f"AND day BETWEEN ? AND ? GROUP BY community_code",
            [str(path), street + "%", p.start, p.end],
        ).fetchall()
    return found


def _median_runs(fn, runs: int = BOARD_RUNS) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def _totals(rows_by_period: dict, column: int) -> list[int]:
    return [sum(int(r[column] or 0) for r in rows) for rows in rows_by_period.values()]


# --- the write cost --------------------------------------------------------------------------------------------


def write_cost(backend: str, world, *, events: int, seconds: float, seed: int) -> list[Figure]:
    from django.conf import settings

    from bench_events import _reports
    from shequ.assessment import rollups
    from shequ.events import actions, hooks

    def loop(kwargs: dict) -> None:
        event = actions.report(**kwargs)
        staff = world.desk_staff[event.community_id]
        actions.dispatch(actions.accept(event, by=staff), by=staff)

    listeners = list(hooks._listeners)
    figures = []
    try:
        hooks._listeners[:] = [f for f in listeners if f is not rollups.queue_event]
        n, t = bounded(_reports(world, events, seed), loop, seconds=seconds)
        baseline = Figure(backend, "assessment", "report+accept+dispatch, no rollups", n, t, unit="events/s",
                          note="baseline: the assessment listener removed")  # fmt: skip
        figures.append(baseline)
        hooks._listeners[:] = listeners
        for mode, label in (("tick", "queue only (fold on the tick)"), ("commit", "fold after each commit")):
            settings.SHEQU_ASSESSMENT_FOLD = mode
            n, t = bounded(_reports(world, events, seed + 1), loop, seconds=seconds)
            rollups.fold()  # what the tick would fold, outside the measured loop
            figure = Figure(backend, "assessment", f"report+accept+dispatch, rollups: {label}", n, t, unit="events/s")
            figures.append(compare(figure, baseline))
    finally:
        hooks._listeners[:] = listeners
        settings.SHEQU_ASSESSMENT_FOLD = "commit"
    return figures


# --- the benchmark ------------------------------------------------------------------------------------------------


def run(backend: str, world, *, events: int, loop_events: int, seconds: float, seed: int, var_dir: Path, say):
    """Figures of this backend (the suite's worker calls this with its world)."""
    import duckdb

    from shequ.geo.models import Region, RegionLevel

    say(f"assessment: {events:,} events' facts, then the street board")
    facts, t_load = load_facts(events, seed=seed, say=say)
    say(f"  {facts:,} facts and their rollups in {t_load:.1f} s")
    street = Region.objects.filter(level=RegionLevel.STREET).order_by("code").values_list("code", flat=True).first()
    board_from_rollups(street)  # warm: imports, caches
    t_roll, rolled = _median_runs(lambda: board_from_rollups(street))
    t_facts, scanned = _median_runs(lambda: board_from_facts(street))
    parquet = Path(var_dir) / "facts.parquet"
    exported, t_export = export_parquet(parquet)
    duck = duckdb.connect()
    board_from_parquet(duck, parquet, street)
    t_duck, ducked = _median_runs(lambda: board_from_parquet(duck, parquet, street))
    # The three must agree (the benchmark is only worth its figures if they count the same thing).
    reported = [int(c["reported"]) for c in rolled.values()]
    if not reported == _totals(scanned, 1) == _totals(ducked, 1):
        raise SystemExit(f"the three boards disagree: {reported} {_totals(scanned, 1)} {_totals(ducked, 1)}")
    median = {k: statistics.median(v) for k, v in (("roll", t_roll), ("facts", t_facts), ("duck", t_duck))}
    note = f"{events:,} events, {facts:,} facts; street {street}: last 30 days + this year, per community"
    ms = {k: f"median of {BOARD_RUNS}: {v * 1000:.1f} ms" for k, v in median.items()}
    base = Figure(
        backend, "assessment", "street board: SUM over the facts (no rollups)", 1, median["facts"], unit="boards/s"
    )
    base.note = f"baseline; {ms['facts']}; {note}"
    rollup_figure = Figure(
        backend, "assessment", "street board: figures_for over the rollups", 1, median["roll"], unit="boards/s"
    )
    rollup_figure.note = ms["roll"]
    duck_figure = Figure(
        backend, "assessment", "street board: DuckDB over the facts in Parquet", 1, median["duck"], unit="boards/s"
    )
    duck_figure.note = ms["duck"]
    export = Figure(backend, "assessment", "export of the facts to Parquet (pyarrow)", exported, t_export,
                    unit="rows/s", note=f"{exported:,} rows in {t_export:.1f} s")  # fmt: skip
    load = Figure(backend, "assessment", "bulk load of the facts + sum_rollups", facts, t_load, unit="rows/s")
    figures = [base, compare(rollup_figure, base), compare(duck_figure, base), export, load]
    say(f"assessment: write cost, {loop_events:,} events per figure, at most {seconds:g} s each")
    figures += write_cost(backend, world, events=loop_events, seconds=seconds, seed=seed + 7)
    return figures


def worker(args) -> int:
    import json

    import bench_env

    bench_env.prepare_environment(args.worker, var_dir=args.var_dir, pg_url=args.pg_url)
    import django

    django.setup()

    def say(text: str) -> None:
        print(f"[{args.worker}] {text}", flush=True)

    bench_env.migrate()
    timings = bench_env.load_district(scale="tiny", seed=args.seed, say=say)
    world = bench_env.make_world(scale="tiny", timings=timings)
    figures = run(
        args.worker,
        world,
        events=args.events,
        loop_events=args.loop,
        seconds=args.seconds,
        seed=args.seed,
        var_dir=args.var_dir,
        say=say,
    )
    args.result.write_text(json.dumps([f.to_dict() for f in figures]))
    return 0


def main(argv: list[str] | None = None) -> int:
    import json
    import os

    import bench_env

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    p.add_argument("--events", type=int, default=DEFAULT_EVENTS, help=f"events behind the board ({DEFAULT_EVENTS:,})")
    p.add_argument("--scale", choices=sorted(SCALES), help="10m: 10,000,000 events (overrides --events)")
    p.add_argument("--loop", type=int, default=300, help="events per write-cost figure (default 300)")
    p.add_argument("--seconds", type=float, default=8.0, help="time bound per write-cost figure (default 8)")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument(
        "--pg-url", default=os.environ.get("SHEQU_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/h7bench")
    )
    p.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--var-dir", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.scale:
        args.events = SCALES[args.scale]
    if args.worker:
        return worker(args)
    figures: list[Figure] = []
    load = os.getloadavg()[0]
    for backend in ["sqlite", "postgres"] if args.db == "all" else [args.db]:
        if backend == "postgres" and (reason := bench_env.pg_unreachable_reason(args.pg_url)):
            print(f"[postgres] SKIPPED: {reason}")
            continue
        with tempfile.TemporaryDirectory(prefix=f"shequ-bench-assessment-{backend}-") as tmp:
            result = Path(tmp) / "result.json"
            command = [sys.executable, str(Path(__file__).resolve()), "--worker", backend, "--result", str(result)]
            command += ["--var-dir", tmp, "--pg-url", args.pg_url, "--events", str(args.events)]
            command += ["--loop", str(args.loop), "--seconds", str(args.seconds), "--seed", str(args.seed)]
            code = subprocess.call(command, cwd=HERE.parent)
            if backend == "postgres":
                bench_env.drop_pg_database(args.pg_url)
            if code != 0 or not result.exists():
                print(f"[{backend}] FAILED: the worker exited with {code}")
                continue
            figures += [Figure.from_dict(f) for f in json.loads(result.read_text())]
    print()
    print(table(figures) if figures else "no figures")
    print(f"\nload average {load:.2f} -> {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    raise SystemExit(main())
