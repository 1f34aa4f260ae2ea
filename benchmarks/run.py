#!/usr/bin/env python
"""shequ's benchmark suite: figures and ratios against baselines measured in the same run.

    .venv/bin/python benchmarks/run.py [--quick] [--db sqlite|postgres|all] [--events N] [--seconds T]

Each backend runs in its own subprocess (Django's settings are per process) on a
throwaway database: a SQLite file under a temporary folder, or the PostgreSQL
database named by --pg-url, dropped and created again. See benchmarks/README.md.
No figure is asserted on; the suite measures and prints.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import Figure, table

HERE = Path(__file__).resolve().parent
BENCHES = ("locate", "events", "http", "server", "registry", "alerts", "assessment", "intake")
DEFAULT_PG_URL = os.environ.get("SHEQU_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/h7bench")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a small geography and few events (the smoke test)")
    p.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    p.add_argument("--events", type=int, help="events per event benchmark (default 2000, quick 50)")
    p.add_argument("--points", type=int, help="points for the locate benchmark (default 20000, quick 1000)")
    p.add_argument("--seconds", type=float, help="time bound per measured figure (default 10, quick 2)")
    p.add_argument("--people", type=int, help="rows of the people ledger (default 1,000,000, quick 2,000)")
    p.add_argument(
        "--import-rows",
        type=int,
        help="import only this many of the people through import_file, bulk-load the rest (default: all)",
    )
    p.add_argument("--queries", type=int, help="search queries per kind and user (default 300, quick 20)")
    p.add_argument(
        "--recipients", type=int, help="residents a district-wide alert goes to (default 1,000,000, quick 300)"
    )
    p.add_argument("--senders", type=int, default=2, help="send_deliveries worker processes for the alert (default 2)")
    p.add_argument("--send-seconds", type=float, help="stop sending the alert after this long (default: all of it)")
    p.add_argument(
        "--only",
        default=",".join(BENCHES),
        help=f"the benchmarks to run, comma-separated, out of {','.join(BENCHES)} (default all)",
    )
    p.add_argument(
        "--scale",
        choices=["tiny", "small", "full"],
        help="the demo district's scale: full is ~3,000 grids and ~1M dwellings (default full, quick tiny)",
    )
    p.add_argument("--clients", type=int, default=16, help="concurrent connections of the server benchmark")
    p.add_argument("--rate", type=float, help="requests/s of the server benchmark's open loop (default 200, quick 20)")
    p.add_argument("--web-workers", type=int, default=2, help="gunicorn processes of the server benchmark")
    p.add_argument("--threads", type=int, default=4, help="threads per gunicorn process of the server benchmark")
    p.add_argument(
        "--soak", type=float, help="seconds of mixed traffic after the server figures (default 120, quick 5; 0: none)"
    )
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--pg-url", default=DEFAULT_PG_URL, help="a database the suite may drop and create")
    p.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    p.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards (to look into it)")
    # Internal: the per-backend subprocess.
    p.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--var-dir", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    defaults = {
        "events": (2000, 50),
        "points": (20000, 1000),
        "seconds": (10.0, 2.0),
        "scale": ("full", "tiny"),
        "people": (1_000_000, 2000),
        "queries": (300, 20),
        "recipients": (1_000_000, 300),
        "soak": (120.0, 5.0),
        "rate": (200.0, 20.0),
    }
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    args.benches = [b.strip() for b in args.only.split(",") if b.strip()]
    if unknown := sorted(set(args.benches) - set(BENCHES)):
        p.error(f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(BENCHES)}")
    return args


# --- the per-backend worker ---------------------------------------------------------------------


def worker(args: argparse.Namespace) -> int:
    import bench_env

    backend = args.worker

    def say(text: str) -> None:
        print(f"[{backend}] {text}", flush=True)

    bench_env.prepare_environment(backend, var_dir=args.var_dir, pg_url=args.pg_url)
    import django

    django.setup()
    import bench_events
    import bench_http
    import bench_locate

    load_before = os.getloadavg()[0]
    timings = {"migrate": bench_env.migrate()}
    say(f"migrated in {timings['migrate']:.1f} s")
    timings |= bench_env.load_district(scale=args.scale, seed=args.seed, say=say)
    world = bench_env.make_world(scale=args.scale, timings=timings)

    figures: list[Figure] = []
    skips: list[str] = []
    latencies: list[dict] = []
    extra: dict = {}
    if "locate" in args.benches:
        say(f"locate: {args.points:,} points, at most {args.seconds:g} s each")
        figures += bench_locate.run(backend, points=args.points, seconds=args.seconds, seed=args.seed)
    event_figures: list[Figure] = []
    if "events" in args.benches or "http" in args.benches or "server" in args.benches:
        say(f"events: {args.events:,} events, at most {args.seconds:g} s each")
        event_figures = bench_events.run(backend, world, events=args.events, seconds=args.seconds, seed=args.seed)
        figures += event_figures
    if "http" in args.benches:
        say(f"http: {args.events:,} requests per server, at most {args.seconds:g} s each")
        try:
            http_figures, reasons = bench_http.run(
                backend,
                world,
                baseline=event_figures[0],
                events=args.events,
                seconds=args.seconds,
                seed=args.seed + 2,
                var_dir=args.var_dir,
            )
        except (RuntimeError, OSError) as e:
            http_figures, reasons = [], [f"the HTTP benchmark failed: {e}"]
        figures += http_figures
        for reason in reasons:
            skips.append(f"{backend}: HTTP benchmark skipped: {reason}")
            say(f"SKIPPED HTTP: {reason}")
    if "server" in args.benches:
        import bench_server

        server_figures, reasons = bench_server.run(
            backend,
            world,
            baseline=event_figures[0],
            seconds=args.seconds,
            clients=args.clients,
            rate=args.rate,
            web_workers=args.web_workers,
            threads=args.threads,
            seed=args.seed + 6,
            var_dir=args.var_dir,
            say=say,
            soak_seconds=args.soak,
        )
        figures += server_figures
        skips += [f"{backend}: server benchmark skipped: {reason}" for reason in reasons]
    if "registry" in args.benches:
        import bench_registry

        imported = min(args.import_rows or args.people, args.people)
        say(
            f"registry: {args.people:,} people ({imported:,} through import_file), {args.queries:,} searches per "
            f"kind and user"
        )
        registry = bench_registry.run(
            backend,
            world,
            people=args.people,
            import_rows=args.import_rows,
            queries=args.queries,
            seconds=args.seconds,
            seed=args.seed + 3,
            var_dir=args.var_dir,
            say=say,
        )
        figures += registry.figures
        skips += registry.skips
        latencies += [latency.to_dict() for latency in registry.latencies]
        extra["registry"] = registry.context
    if "alerts" in args.benches:
        import bench_alerts

        say(f"alerts: a district-wide alert to {args.recipients:,} residents, {args.senders} send_deliveries workers")
        alerts = bench_alerts.run(
            backend,
            world,
            recipients=args.recipients,
            senders=args.senders,
            send_seconds=args.send_seconds,
            seed=args.seed + 4,
            var_dir=args.var_dir,
            say=say,
        )
        figures += alerts.figures
        skips += alerts.skips
        extra["alerts"] = alerts.context
    if "intake" in args.benches:
        import bench_intake

        intake_figures, extra["intake"] = bench_intake.run(
            backend, world, seconds=args.seconds, seed=args.seed + 5, say=say
        )
        figures += intake_figures

    if "assessment" in args.benches:  # the street board over 20 x --events events, and the rollups' write cost
        import bench_assessment

        figures += bench_assessment.run(
            backend,
            world,
            events=args.events * 20,
            loop_events=args.events,
            seconds=args.seconds,
            seed=args.seed + 5,
            var_dir=args.var_dir,
            say=say,
        )

    context = {
        "backend": backend,
        "scale": world.scale,
        "grids": world.grids,
        "dwellings": world.dwellings,
        "duties": world.duties,
        "setup_seconds": timings,
        # Other work on the machine moves every figure; the ratios, measured side by side, move less.
        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
        **extra,
    }
    result = {"figures": [f.to_dict() for f in figures], "skips": skips, "latencies": latencies, "context": context}
    args.result.write_text(json.dumps(result, default=str))
    return 0


# --- the parent: one worker per backend, then the table -------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker(args)
    import bench_env

    backends = ["sqlite", "postgres"] if args.db == "all" else [args.db]
    figures: list[Figure] = []
    skips: list[str] = []
    contexts: list[dict] = []
    latencies: list[dict] = []
    failed: list[str] = []
    print(
        f"shequ benchmarks: {args.events:,} events / {args.points:,} points per figure, at most {args.seconds:g} s "
        f"each, demo district '{args.scale}', people ledger {args.people:,} rows{' (quick)' if args.quick else ''}; "
        f"benchmarks: {', '.join(args.benches)}",
        flush=True,
    )
    for backend in backends:
        if backend == "postgres" and (reason := bench_env.pg_unreachable_reason(args.pg_url)):
            skips.append(f"postgres: SKIPPED: {reason}")
            print(f"[postgres] SKIPPED: {reason}", flush=True)
            continue
        with tempfile.TemporaryDirectory(prefix=f"shequ-bench-{backend}-") as tmp:
            result = Path(tmp) / "result.json"
            command = [sys.executable, str(Path(__file__).resolve()), "--worker", backend]
            command += ["--result", str(result), "--var-dir", tmp, "--pg-url", args.pg_url, "--seed", str(args.seed)]
            command += ["--events", str(args.events), "--points", str(args.points)]
            command += ["--seconds", str(args.seconds), "--scale", str(args.scale)]
            command += ["--people", str(args.people), "--queries", str(args.queries), "--only", ",".join(args.benches)]
            command += ["--recipients", str(args.recipients), "--senders", str(args.senders)]
            command += ["--clients", str(args.clients), "--rate", str(args.rate), "--soak", str(args.soak)]
            command += ["--web-workers", str(args.web_workers), "--threads", str(args.threads)]
            if args.send_seconds:
                command += ["--send-seconds", str(args.send_seconds)]
            if args.import_rows:
                command += ["--import-rows", str(args.import_rows)]
            started = time.perf_counter()
            code = subprocess.call(command, cwd=HERE.parent)
            if backend == "postgres" and not args.keep:
                bench_env.drop_pg_database(args.pg_url)
            if code != 0 or not result.exists():
                failed.append(backend)
                print(f"[{backend}] FAILED: the worker exited with {code}", flush=True)
                continue
            data = json.loads(result.read_text())
            data["context"]["wall_seconds"] = time.perf_counter() - started
        figures += [Figure.from_dict(f) for f in data["figures"]]
        skips += data["skips"]
        latencies += data.get("latencies", [])
        contexts.append(data["context"])

    print()
    print(table(figures) if figures else "no figures")
    print()
    if latencies:
        print(latency_table(latencies))
        print()
    print(summary(figures, contexts, skips))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "figures": [f.to_dict() for f in figures],
                    "latencies": latencies,
                    "contexts": contexts,
                    "skips": skips,
                },
                indent=2,
                default=str,
            )
        )
    return 1 if failed else 0


def latency_table(latencies: list[dict]) -> str:
    """Search latencies: median and p99 per kind of query, and the median against the primary-key lookup's."""
    lines = ["=== search latency (ms) ===", f"{'backend':<9} {'query':<58} {'n':>5} {'median':>9} {'p99':>9}  vs pk"]
    for row in latencies:
        base = row.get("baseline_median_ms")
        ratio = f"{row['median_ms'] / base:,.1f}x the pk lookup" if base else "baseline"
        lines.append(
            f"{row['backend']:<9} {row['name']:<58} {row['count']:>5} {row['median_ms']:>9.2f} {row['p99_ms']:>9.2f}  "
            f"{ratio}"
        )
    return "\n".join(lines)


def summary(figures: list[Figure], contexts: list[dict], skips: list[str]) -> str:
    lines = ["=== summary ==="]
    for ctx in contexts:
        backend = ctx["backend"]
        setup = ", ".join(f"{k} {v:.1f} s" for k, v in ctx["setup_seconds"].items())
        lines.append(
            f"[{backend}] demo district '{ctx['scale']}': {ctx['grids']:,} grids, {ctx['dwellings']:,} dwellings, "
            f"{ctx['duties']:,} duties"
        )
        lines.append(f"  setup: {setup}; whole backend {ctx['wall_seconds']:.0f} s")
        if ledger := ctx.get("registry", {}).get("ledger"):
            lines.append(
                f"  people: {ledger['people']:,}, of which a ledger of {ledger['rows']:,} rows imported "
                f"({ledger['bytes'] / 1e6:,.0f} MB CSV, made in {ledger['generate_seconds']} s) and the rest "
                f"bulk-loaded; {ledger['planted_duplicates']:,} planted duplicates without an ID number: "
                + ", ".join(f"{k} {v:,}" for k, v in ledger["variants"].items())
            )
        if sent := ctx.get("alerts", {}).get("delivery"):
            lines.append(
                f"  alert to {ctx['alerts']['population']['residents']:,} residents: {sent['messages']:,} messages "
                f"through {sent['senders']} workers; approval -> first message {sent['approval_to_first_s']} s, "
                f"-> last {sent['approval_to_last_s']} s"
            )
        lines.append(
            f"  machine: {ctx['cpus']} CPUs, 1-minute load average {ctx['load'][0]} before, {ctx['load'][1]} after"
        )
        for f in figures:
            if f.backend != backend:
                continue
            ratio = f"  = {f.ratio:.3f} x {f.baseline}" if f.ratio is not None else ""
            lines.append(f"  {f.name:<52} {f.rate:>12,.0f} {f.unit:<9}{ratio}")
            if f.note:
                lines.append(f"  {'':<52}   ({f.note})")
    lines += skips
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
