"""An emergency alert to a whole district: targeting, fan-out and delivery to an HTTP SMS gateway.

``--recipients`` residents (default 1,000,000), every one with a mobile number and 3 % of them tagged as living
alone and elderly (they get a voice call too), are bulk-loaded into the demo district's dwellings with
``bench_registry``'s generator. A district dispatcher composes a district-wide alert from the typhoon template and
a second one approves it, through ``shequ.alerts.actions``. Then:

* **targeting**: ``targeting.resolve(Area.of(alert))`` and reading every recipient it selects (resident id and
  phone, in keyset chunks, as the fan-out reads them), beside one plain read of every person's id and phone.
* **fan-out**: the ``fan_out_alert`` task's body (``fanout.fan_out``) alone on a quiet database, beside the
  database's own bulk insert of the very same Delivery rows into a scratch copy of ``alerts_delivery`` (same
  columns, indexes and constraints): PostgreSQL ``COPY``, SQLite one ``executemany`` in one transaction.
* **delivery**: a second alert to the same district, approved while ``manage.py send_deliveries`` workers are
  already running (as deployed), its fan-out task run at once in this process; every SMS and voice message goes
  through ``sending.send_due`` -> ``gateway.send_http`` to a local threaded HTTP SMS sink in its own process,
  which checks every request's HMAC signature as the gateway test does. Deliveries per second, and the time from
  approval to the first and to the last message the sink received.

Why two worker processes on two CPUs: each delivery is Python work (the ORM's claim and status updates, the text,
the signature) interleaved with waits (database, HTTP); a process per CPU keeps both busy while the sink and the
database use the waits. Threads would share one interpreter lock. ``--senders`` changes it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from figures import Figure, compare

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SMS_KEY = "benchmark-sms-gateway-key"
VULNERABLE_SHARE = 0.03  # tagged elderly_alone: an SMS and a voice call each
SCRATCH_TABLE = "bench_alerts_delivery_copy"
# Columns the fan-out leaves at their defaults and sending fills in: reset so the baseline inserts the fan-out's rows.
UNSENT = {
    "status": "queued",
    "attempts": 0,
    "claimed_at": None,
    "claim_key": None,
    "sent_at": None,
    "delivered_at": None,
    "provider_ref": "",
    "last_error": "",
}
NO_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@dataclass
class Outcome:
    figures: list[Figure] = field(default_factory=list)
    skips: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)


# --- the SMS sink (its own process) ---------------------------------------------------------------------


def serve_sink(port_file: Path, key: str) -> None:
    """A provider stand-in: verifies each POST's signature, answers {"id"}, counts; GET /stats reports."""
    lock = threading.Lock()
    stats: dict[str, Any] = {"received": 0, "bad_signature": 0, "first": None, "last": None, "channels": {}}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The reply's headers and body are two writes; with Nagle on, the body waits for the client's delayed ACK
        # (tens of ms) on a kept-alive connection. Gateways in production answer in one segment.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
            good = hmac.compare_digest(expected, self.headers.get("X-Shequ-Signature", ""))
            now = time.time()
            with lock:
                if not good:
                    stats["bad_signature"] += 1
                else:
                    stats["received"] += 1
                    channel = json.loads(body).get("channel", "")
                    stats["channels"][channel] = stats["channels"].get(channel, 0) + 1
                    stats["first"] = stats["first"] or now
                    stats["last"] = now
                    ref = f"sink-{stats['received']}"
            self._reply(200 if good else 401, {"id": ref} if good else {"error": "bad signature"})

        def do_GET(self) -> None:
            with lock:
                self._reply(200, stats)

        def _reply(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_file.write_text(str(server.server_address[1]))
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()


class Sink:
    """The sink's process, started and stopped by the benchmark."""

    def __init__(self, var_dir: Path) -> None:
        port_file = var_dir / "sms-sink.port"
        port_file.unlink(missing_ok=True)
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__)), "--sink", str(port_file), SMS_KEY])
        deadline = time.time() + 30
        while not port_file.exists() or not port_file.read_text():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("the SMS sink did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{port_file.read_text()}/sms/send"

    def stats(self) -> dict:
        with urllib.request.urlopen(self.url.replace("/sms/send", "/stats"), timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


# --- the population -------------------------------------------------------------------------------------


def load_population(recipients: int, *, seed: int, say: Callable) -> dict[str, Any]:
    """``recipients`` people, each with a phone, living in the district's dwellings; 3 % tagged elderly_alone."""
    from django.db import connection

    from bench_registry import PERSON_COLUMNS, _phone, analyze, bulk_load, make_ledger, person_rows, place_people
    from shequ.registry.models import Person, PersonTag, Tag

    started = time.perf_counter()
    ledger = make_ledger(recipients, seed=seed)
    for i, r in enumerate(ledger.records):
        # Numbers beyond the ledger's own: every one new.
        r.phone = r.phone or _phone(recipients + i)
    bulk_load(Person._meta.db_table, PERSON_COLUMNS, person_rows(ledger.records))
    homes = place_people(ledger, seed=seed)
    rng = random.Random(seed + 5)
    tagged = rng.sample([pk for pk, _d in homes.values()], round(len(homes) * VULNERABLE_SHARE))
    since = PersonTag._meta.get_field("since").get_db_prep_save(date(2024, 1, 1), connection)
    tag = Tag.objects.get(code="elderly_alone").pk
    bulk_load(
        PersonTag._meta.db_table,
        ["person_id", "tag_id", "since", "until", "source_kind", "source_ref"],
        [(pk, tag, since, None, "manual", "") for pk in tagged],
    )
    analyze()
    seconds = time.perf_counter() - started
    say(f"  population: {len(homes):,} residents with phones, {len(tagged):,} tagged elderly_alone, {seconds:.1f} s")
    return {"residents": len(homes), "vulnerable": len(tagged), "seconds": round(seconds, 1)}


# --- alerts through the real actions --------------------------------------------------------------------


def _people() -> tuple[Any, Any, Any]:
    """The district, the demo's district dispatcher (composer) and a second one (the approver)."""
    from shequ.access.models import Role, User
    from shequ.geo.models import Region, RegionLevel

    district = Region.objects.get(level=RegionLevel.DISTRICT)
    composer = User.objects.filter(role=Role.DISTRICT_DISPATCHER, region=district).order_by("pk").first()
    if composer is None:
        raise SystemExit("the demo made no district dispatcher")
    approver = User(username="bench-alerts-approver", name="基准审批人", role=Role.DISTRICT_DISPATCHER, region=district)
    approver.set_unusable_password()
    approver.save()
    return district, composer, approver


def submitted_alert(district: Any, composer: Any, headline: str, timings: dict[str, float]) -> Any:
    from shequ.alerts import actions
    from shequ.alerts.actions import AlertInput
    from shequ.alerts.models import AlertTemplate

    template = AlertTemplate.objects.get(code="typhoon")
    data = replace_headline(AlertInput.from_template(template, area_desc="全区", regions=[district]), headline)
    started = time.perf_counter()
    alert = actions.compose(by=composer, data=data)
    timings["compose"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    alert = actions.submit(alert, by=composer)
    timings["submit"] = round(time.perf_counter() - started, 2)
    return alert


def replace_headline(data: Any, headline: str) -> Any:
    from dataclasses import replace

    return replace(data, headline=headline)


def approve_quietly(alert: Any, approver: Any, timings: dict[str, float]) -> Any:
    """Approve with the task queue held: the benchmark runs the fan-out task itself, when it chooses."""
    from django.test import override_settings

    from shequ.alerts import actions

    with override_settings(TASKS=NO_TASKS):
        started = time.perf_counter()
        alert = actions.approve(alert, by=approver)
        timings["approve"] = round(time.perf_counter() - started, 2)
    return alert


def fan_out_task(alert: Any) -> int:
    """The ``fan_out_alert`` task's own body, run here as a ``db_worker`` would; its follow-up enqueue is held."""
    from django.test import override_settings

    from shequ.alerts.tasks import fan_out_alert

    with override_settings(TASKS=NO_TASKS):
        return fan_out_alert.call(alert.pk)


# --- targeting ------------------------------------------------------------------------------------------


def measure_targeting(backend: str, alert: Any, outcome: Outcome, *, say: Callable) -> None:
    from shequ.alerts import targeting
    from shequ.registry.models import Person

    started = time.perf_counter()
    read = sum(1 for _ in Person.objects.values_list("pk", "phone").iterator(chunk_size=10_000))
    baseline = Figure(
        backend,
        "alerts",
        "read every person's id and phone (no area)",
        read,
        time.perf_counter() - started,
        unit="people/s",
        note="baseline: Person.objects.values_list('pk', 'phone').iterator()",
    )

    started = time.perf_counter()
    target = targeting.resolve(targeting.Area.of(alert))
    residents = target.residents.order_by("pk").values_list("pk", "phone")
    count = sum(1 for _ in residents.iterator(chunk_size=10_000))
    organizations = target.organizations.exclude(contact_phone="").count()
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    counts = target.counts()
    count_seconds = time.perf_counter() - started
    figure = Figure(
        backend,
        "alerts",
        "targeting: resolve() + read every recipient",
        count + organizations,
        seconds,
        unit="recipients/s",
        note=(
            f"district-wide: {count:,} residents, {organizations:,} organisations, in one query (the fan-out reads "
            f"the area's ids so, then their details 1,000 at a time); the approver's counts() (5 COUNT queries) "
            f"{count_seconds:.2f} s: "
            f"{counts.dwellings:,} dwellings, {counts.residents:,} residents, {counts.contacts:,} contacts"
        ),
    )
    outcome.figures += [baseline, compare(figure, baseline)]
    say(f"  targeting: {count:,} residents in {seconds:.1f} s (plain read {baseline.seconds:.1f} s)")


# --- fan-out and its baseline ---------------------------------------------------------------------------


def measure_fan_out(backend: str, alert: Any, outcome: Outcome, *, say: Callable) -> None:
    from django.db import connection

    from bench_registry import bulk_load
    from shequ.alerts.models import Delivery

    started = time.perf_counter()
    created = fan_out_task(alert)
    seconds = time.perf_counter() - started
    by_channel = dict(
        Delivery.objects.filter(alert=alert).values_list("channel").annotate(n=_count()).values_list("channel", "n")
    )
    figure = Figure(
        backend,
        "alerts",
        "fan_out(): Delivery rows for the whole district",
        created,
        seconds,
        unit="rows/s",
        note=(
            "the fan_out_alert task alone on a quiet database: the recipients' query (grid, vulnerable tag), "
            "chunks of 1,000, each one executemany INSERT skipping existing rows in its own transaction; "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(by_channel.items()))
        ),
    )

    columns, rows = delivery_rows(alert)
    make_scratch_copy()
    load_seconds = bulk_load(SCRATCH_TABLE, columns, rows)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(SCRATCH_TABLE)}")
        loaded = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(SCRATCH_TABLE)}")
    how = (
        "COPY FROM STDIN (psycopg)"
        if connection.vendor == "postgresql"
        else "SQLite has no COPY: one executemany INSERT in one transaction"
    )
    baseline = Figure(
        backend,
        "alerts",
        "bulk insert of the same Delivery rows (scratch copy)",
        loaded,
        load_seconds,
        unit="rows/s",
        note=f"baseline: {how} into a copy of alerts_delivery with its indexes and constraints; values prepared "
        "beforehand (not timed)",
    )
    outcome.figures += [baseline, compare(figure, baseline)]
    say(f"  fan-out: {created:,} rows in {seconds:.1f} s; bulk insert of the same rows {load_seconds:.1f} s")


def _count() -> Any:
    from django.db.models import Count

    return Count("pk")


def delivery_rows(alert: Any) -> tuple[list[str], list[tuple]]:
    """The alert's Delivery rows as the fan-out wrote them (columns, driver-ready values), without ids."""
    from django.db import connection

    from shequ.alerts.models import Delivery

    fields = [f for f in Delivery._meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    rows = []
    for values in Delivery.objects.filter(alert=alert).order_by("pk").values_list(*names).iterator(chunk_size=10_000):
        rows.append(
            tuple(f.get_db_prep_save(UNSENT.get(f.attname, v), connection) for f, v in zip(fields, values, strict=True))
        )
    return [f.column for f in fields], rows


def make_scratch_copy() -> None:
    """An empty table like alerts_delivery: the same columns, indexes, unique and check constraints, foreign keys."""
    from django.db import connection

    from shequ.alerts.models import Delivery

    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'CREATE TABLE "{SCRATCH_TABLE}" (LIKE "{table}" INCLUDING ALL)')
            # LIKE leaves foreign keys out; the real inserts check them.
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = 'f'",
                [table],
            )
            for name, definition in cursor.fetchall():
                copy = f"copy_{name}"[:63]
                cursor.execute(f'ALTER TABLE "{SCRATCH_TABLE}" ADD CONSTRAINT "{copy}" {definition}')
        else:
            cursor.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL", [table])
            statements = cursor.fetchall()
            for kind, name, sql in sorted(statements, key=lambda s: s[0] != "table"):
                sql = sql.replace(f'"{table}"', f'"{SCRATCH_TABLE}"')
                if kind == "index":
                    sql = sql.replace(f'"{name}"', f'"copy_{name}"', 1)
                cursor.execute(sql)


# --- delivery through the workers to the SMS sink -------------------------------------------------------


def set_aside(alert: Any) -> int:
    """Remove an alert's Delivery rows (one DELETE: nothing points at them yet), so the workers never see them."""
    from django.db import connection, transaction

    from shequ.alerts.models import Delivery

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {connection.ops.quote_name(Delivery._meta.db_table)} WHERE alert_id = %s", [alert.pk]
        )
        return cursor.rowcount


def start_workers(count: int, env: dict[str, str], var_dir: Path) -> list[subprocess.Popen]:
    """``manage.py send_deliveries`` processes with the command's own defaults, as a deployment runs them."""
    workers = []
    for n in range(count):
        log = (var_dir / f"send_deliveries-{n}.log").open("w")
        workers.append(
            subprocess.Popen(
                [sys.executable, str(REPO / "manage.py"), "send_deliveries"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for proc in workers:
        proc.terminate()
    for proc in workers:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def measure_delivery(
    backend: str,
    alert: Any,
    approver: Any,
    outcome: Outcome,
    *,
    senders: int,
    var_dir: Path,
    timeout: float,
    say: Callable,
) -> None:
    from shequ.alerts.models import Delivery, DeliveryStatus

    sink = Sink(var_dir)
    env = os.environ | {
        "SHEQU_SMS_URL": sink.url,
        "SHEQU_SMS_KEY": SMS_KEY,
        "SHEQU_PUBLIC_URL": "https://shequ.example.cn",
        "SHEQU_TASKS": "immediate",
    }
    workers = start_workers(senders, env, var_dir)
    try:
        time.sleep(5)  # the workers are up and idle, waiting for work, before the approval
        if dead := [w.args for w in workers if w.poll() is not None]:
            raise RuntimeError(f"a send_deliveries worker exited at start: {dead}")
        timings: dict[str, float] = {}
        alert = approve_quietly(alert, approver, timings)
        approved = alert.approved_at.timestamp()
        started = time.perf_counter()
        created = fan_out_task(alert)
        fan_out_seconds = time.perf_counter() - started
        say(f"  approved; fan-out beside {senders} workers: {created:,} rows in {fan_out_seconds:.1f} s")
        open_statuses = [DeliveryStatus.QUEUED, DeliveryStatus.SENDING]
        deadline = approved + timeout
        reported = time.time()
        while (
            left := Delivery.objects.filter(alert=alert, status__in=open_statuses).count()
        ) and time.time() < deadline:
            if died := [n for n, w in enumerate(workers) if w.poll() is not None]:
                log = (var_dir / f"send_deliveries-{died[0]}.log").read_text()[-3000:]
                raise RuntimeError(f"a send_deliveries worker died:\n{log}")
            if time.time() - reported > 30:
                say(f"  ... {left:,} still to send")
                reported = time.time()
            time.sleep(0.5)
        stats = sink.stats()
    finally:
        stop_workers(workers)
        sink.stop()
    statuses = dict(
        Delivery.objects.filter(alert=alert).values_list("status").annotate(n=_count()).values_list("status", "n")
    )
    first, last = stats["first"] or approved, stats["last"] or approved
    to_first, to_last = first - approved, last - approved
    rate = stats["received"] / max(last - first, 1e-9)
    if left:
        # Bounded by --send-seconds: the last message is estimated at the rate measured, and said to be.
        outcome.skips.append(
            f"{backend}: delivery stopped after {timeout:,.0f} s with {left:,} messages still to send; at "
            f"{rate:,.0f}/s the last would go out about {to_last + left / max(rate, 1e-9):,.0f} s after approval"
        )
    figure = Figure(
        backend,
        "alerts",
        f"delivery: {senders} send_deliveries workers -> HTTP SMS sink",
        stats["received"],
        max(last - first, 1e-9),
        unit="messages/s",
        note=(
            f"from the first message to the last; approval -> first message {to_first:.1f} s, -> last {to_last:.1f} s"
            + (f" (stopped with {left:,} still to send); " if left else "; ")
            + f"the sink verified {stats['received']:,} signatures ({stats['bad_signature']:,} bad); "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(stats["channels"].items()))
            + "; rows: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items()))
            + f"; fan-out beside the workers {created:,} rows in {fan_out_seconds:.1f} s"
            + f"; approve() {timings['approve']} s"
        ),
    )
    outcome.figures.append(figure)
    outcome.context["delivery"] = {
        "senders": senders,
        "messages": stats["received"],
        "bad_signatures": stats["bad_signature"],
        "approval_to_first_s": round(to_first, 2),
        "approval_to_last_s": round(to_last, 2),
        "fan_out_rows": created,
        "fan_out_seconds": round(fan_out_seconds, 1),
        "statuses": statuses,
        "unsent_when_stopped": left,
    }
    say(
        f"  delivery: {stats['received']:,} messages, {figure.rate:,.0f}/s; approval -> first {to_first:.1f} s, "
        f"-> last {to_last:.1f} s"
    )


# --- the benchmark --------------------------------------------------------------------------------------


def run(
    backend: str,
    world: Any,
    *,
    recipients: int,
    senders: int,
    seed: int,
    var_dir: Path,
    say: Callable,
    send_seconds: float | None = None,
) -> Outcome:
    """``send_seconds`` bounds the delivery phase (from the approval); by default it runs until all is sent."""
    outcome = Outcome()
    outcome.context["population"] = load_population(recipients, seed=seed, say=say)
    district, composer, approver = _people()

    timings: dict[str, float] = {}
    first = submitted_alert(district, composer, "台风预警（基准一：扇出）", timings)
    measure_targeting(backend, first, outcome, say=say)
    first = approve_quietly(first, approver, timings)
    outcome.context["first_alert"] = timings
    say(f"  alert composed, submitted, approved: {timings}")
    measure_fan_out(backend, first, outcome, say=say)
    set_aside(first)

    timings = {}
    second = submitted_alert(district, composer, "台风预警（基准二：发送）", timings)
    outcome.context["second_alert"] = timings
    measure_delivery(
        backend,
        second,
        approver,
        outcome,
        senders=senders,
        var_dir=var_dir,
        timeout=send_seconds or 24 * 3600,
        say=say,
    )
    return outcome


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--sink":
    serve_sink(Path(sys.argv[2]), sys.argv[3])
