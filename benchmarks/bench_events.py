"""Events through the domain functions beside a bare INSERT of the same rows.

* ``report()``: validation, the leaf-category check, locate (point -> grid via the
  STRtree index), the grid and community reads, the day's code sequence (a locked
  row), the event row and its timeline row, in one transaction.
* ``report() + accept() + dispatch()``: the above, then accept (row lock, state
  and desk check, save, timeline) and dispatch (row lock, routing through the
  responsibility list, the deadline in working time, save, timeline): three
  transactions per event, by the staff member of the event's community desk.
* Baselines, with the same column values as the rows ``report()`` wrote (new
  code and token, as both are unique): a raw INSERT into events_event through
  Django's database cursor (no ORM), one row per transaction (autocommit), which
  is the baseline the ratios use; and ``executemany`` of the same INSERT in one
  transaction, for reference. Neither writes a timeline row.
"""

from __future__ import annotations

import uuid
from itertools import cycle, islice

from bench_env import World, grid_geometries, random_points
from figures import Figure, bounded, compare

DESCRIPTIONS = ["楼道堆放杂物，影响通行", "路灯不亮", "人行道破损", "占道经营", "垃圾桶满溢", "井盖缺失"]


def _reports(world: World, count: int, seed: int) -> list[dict]:
    from shequ.events.models import Channel

    _codes, geoms = grid_geometries()
    points = random_points(geoms, count, seed=seed)
    return [
        {
            "by": world.reporter,
            "channel": Channel.GRID_WORKER,
            "description": f"{DESCRIPTIONS[i % len(DESCRIPTIONS)]}（基准{i}）",
            "category": world.categories[i % len(world.categories)],
            "lon": lon,
            "lat": lat,
        }
        for i, (lon, lat) in enumerate(points)
    ]


def run(backend: str, world: World, *, events: int, seconds: float, seed: int) -> list[Figure]:
    from shequ.events import actions

    reported_ids: list[int] = []

    def report(kwargs: dict) -> None:
        reported_ids.append(actions.report(**kwargs).pk)

    n_report, t_report = bounded(_reports(world, events, seed), report, seconds=seconds)

    outcomes = {"dispatch": 0, "to_street_desk": 0}

    def loop(kwargs: dict) -> None:
        event = actions.report(**kwargs)
        staff = world.desk_staff[event.community_id]
        event = actions.accept(event, by=staff)
        event = actions.dispatch(event, by=staff)
        outcomes["dispatch" if event.unit_id else "to_street_desk"] += 1

    n_loop, t_loop = bounded(_reports(world, events, seed + 1), loop, seconds=seconds)

    sql, rows = _bare_rows(reported_ids)
    per_row, t_per_row = _bare_autocommit(sql, rows, count=events, seconds=seconds)
    batch, t_batch = _bare_executemany(sql, rows, count=events)

    baseline = Figure(
        backend,
        "events",
        "bare INSERT, 1 row per transaction",
        per_row,
        t_per_row,
        unit="rows/s",
        note="baseline: raw INSERT into events_event (Django cursor, autocommit), same values as report()'s rows",
    )
    reference = Figure(
        backend,
        "events",
        "bare INSERT, executemany in 1 transaction",
        batch,
        t_batch,
        unit="rows/s",
        note="reference: the same rows in one executemany",
    )
    domain = Figure(
        backend,
        "events",
        "report() (locate + event + timeline)",
        n_report,
        t_report,
        unit="events/s",
        note="actions.report with a point: validate, locate, code sequence, event and timeline rows; 1 transaction",
    )
    loop_figure = Figure(
        backend,
        "events",
        "report() + accept() + dispatch()",
        n_loop,
        t_loop,
        unit="events/s",
        note=(
            f"3 transactions per event; routed by the duty list to a unit for {outcomes['dispatch']:,}, "
            f"no duty (passed to the street desk) for {outcomes['to_street_desk']:,}"
        ),
    )
    return [baseline, reference, compare(domain, baseline), compare(loop_figure, baseline)]


def _event_fields() -> tuple[list, int, int]:
    """The columns an INSERT writes (all but the id), and where the unique code and token sit."""
    from shequ.events.models import Event

    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    code_at = next(i for i, f in enumerate(fields) if f.name == "code")
    token_at = next(i for i, f in enumerate(fields) if f.name == "token")
    return fields, code_at, token_at


def _bare_rows(ids: list[int]) -> tuple[str, list[list]]:
    """The INSERT statement and, for each event report() wrote, its column values
    as the database driver receives them."""
    from django.db import connection

    from shequ.events.models import Event

    fields, _code_at, _token_at = _event_fields()
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(Event._meta.db_table)} ({columns}) VALUES ({placeholders})"
    values = Event.objects.filter(pk__in=ids).order_by("pk").values_list(*[f.attname for f in fields])
    return sql, [[f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)] for row in values]


_serial = iter(range(10**9))


def _fresh(rows: list[list], count: int) -> list[list]:
    """``count`` rows (report()'s rows again as needed), each with a new unique code and token."""
    from django.db import connection

    fields, code_at, token_at = _event_fields()
    out = []
    for row in islice(cycle(rows), count):
        row = list(row)
        row[code_at] = f"BARE-{next(_serial):09d}"
        row[token_at] = fields[token_at].get_db_prep_save(uuid.uuid4(), connection)
        out.append(row)
    return out


def _bare_autocommit(sql: str, rows: list[list], *, count: int, seconds: float) -> tuple[int, float]:
    from django.db import connection

    prepared = _fresh(rows, count)
    with connection.cursor() as cursor:
        return bounded(prepared, lambda params: cursor.execute(sql, params), seconds=seconds)


def _bare_executemany(sql: str, rows: list[list], *, count: int) -> tuple[int, float]:
    import time

    from django.db import connection, transaction

    prepared = _fresh(rows, count)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, prepared)
    return len(prepared), time.perf_counter() - started
