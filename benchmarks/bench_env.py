"""A throwaway database per backend, migrated and loaded with the demo district (its
geography, the shipped catalog, the demo's units, duties and accounts) plus a
hotline system user with an API token.

``prepare_environment`` runs before Django is imported (settings are read once per
process); everything else runs after ``django.setup()``.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
CATALOG_FILE = REPO / "src" / "shequ" / "events" / "data" / "catalog.json"
DISTRICT_CODE = "440304"


def prepare_environment(backend: str, *, var_dir: Path, pg_url: str) -> dict[str, str]:
    """Point this process (and the HTTP server it starts) at a fresh database.
    Returns the environment variables it set, for the server subprocess."""
    env = {
        "DJANGO_SETTINGS_MODULE": "shequ.settings",
        "SHEQU_VAR_DIR": str(var_dir),
        "SHEQU_SECRET_KEY": "benchmark-only-secret-key-not-for-production-0123456789",
        "SHEQU_DEBUG": "false",
        "SHEQU_TASKS": "immediate",
        "SHEQU_DISTRICT_CODE": DISTRICT_CODE,
        "SHEQU_LOG_LEVEL": "WARNING",
    }
    if backend == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    else:
        recreate_pg_database(pg_url)
        env["DATABASE_URL"] = pg_url
    os.environ.update(env)
    return env


def recreate_pg_database(url: str) -> None:
    """DROP and CREATE the database named in the URL, through the server's `postgres` database."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in {"postgres", "template0", "template1"}:
        raise SystemExit(f"refusing to drop the database {name!r}: give the benchmark its own database name")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_pg_database(url: str) -> None:
    """Drop the benchmark's database again (it holds a whole district)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if name in {"", "postgres", "template0", "template1"}:
        return
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def pg_unreachable_reason(url: str) -> str | None:
    """None when the PostgreSQL server answers, else why not (printed as the skip reason)."""
    import psycopg

    parts = urlsplit(url)
    try:
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), connect_timeout=3) as conn:
            conn.execute("select 1")
    except psycopg.Error as e:
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return f"PostgreSQL at {parts.hostname}:{parts.port or 5432} is not reachable ({first_line})"
    return None


# --- after django.setup() ---------------------------------------------------------------------


@dataclass
class World:
    """What the benchmarks need: who reports, who sits at each desk, what to report."""

    scale: str  # the demo scale the district was built at
    grids: int
    dwellings: int
    duties: int
    reporter: object  # a grid worker (domain benchmark)
    system: object  # the 12345 hotline system (HTTP benchmark)
    token: str
    desk_staff: dict[int, object] = field(default_factory=dict)  # community id -> community staff
    categories: list = field(default_factory=list)  # leaf categories
    setup_seconds: dict[str, float] = field(default_factory=dict)


def migrate() -> float:
    """Create the tables; returns the seconds it took."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    return time.perf_counter() - started


def load_district(*, scale: str, seed: int, say) -> dict[str, float]:
    """The demo's district at this scale (regions, buildings, dwellings), the shipped
    catalog, then the demo's units, responsibility list and accounts, as ``load_demo``
    builds them. Returns the seconds each step took."""
    from shequ.demo.geography import build_geography
    from shequ.demo.organisation import build_organisation
    from shequ.demo.scales import SCALES
    from shequ.events.catalog import load_catalog

    timings = {}
    started = time.perf_counter()
    geography = build_geography(seed=seed, scale=SCALES[scale], progress=lambda msg: say(f"  {msg}"))
    timings["geography"] = time.perf_counter() - started
    say(
        f"geography '{scale}' in {timings['geography']:.1f} s: {geography.streets} streets, "
        f"{geography.communities} communities, {geography.grids:,} grids, {geography.dwellings:,} dwellings"
    )
    started = time.perf_counter()
    counts = load_catalog(json.loads(CATALOG_FILE.read_text(encoding="utf-8")))
    organisation = build_organisation(seed=seed)
    timings["catalog+organisation"] = time.perf_counter() - started
    say(
        f"catalog and organisation in {timings['catalog+organisation']:.1f} s: {counts['categories']} categories, "
        f"{organisation.units} units, {organisation.duties:,} duties, {organisation.users:,} users"
    )
    return timings


def make_world(*, scale: str, timings: dict[str, float]) -> World:
    """Who reports and who sits at each community desk (the demo's own accounts), and the
    12345 hotline system user with an API token for the HTTP benchmark."""
    from shequ.access.models import ApiToken, Role, User
    from shequ.events.catalog import leaf_categories
    from shequ.events.models import Channel, Duty
    from shequ.geo.models import Dwelling, Region, RegionLevel

    reporter = User.objects.select_related("region").filter(role=Role.GRID_WORKER).order_by("pk").first()
    if reporter is None:
        raise SystemExit("the demo made no grid worker")
    desk_staff = {
        u.region_id: u for u in User.objects.filter(role=Role.COMMUNITY_STAFF).select_related("region").order_by("-pk")
    }
    system = User(username="bench-hotline", name="12345热线", role=Role.SYSTEM)
    system.set_unusable_password()
    system.save()
    _token, key = ApiToken.issue(user=system, name="benchmark", channel=Channel.HOTLINE)
    return World(
        scale=scale,
        grids=Region.objects.filter(level=RegionLevel.GRID).count(),
        dwellings=Dwelling.objects.count(),
        duties=Duty.objects.count(),
        reporter=reporter,
        system=system,
        token=key,
        desk_staff=desk_staff,
        categories=list(leaf_categories().select_related("default_level").order_by("code")),
        setup_seconds=timings,
    )


def grid_geometries() -> tuple[list[str], list]:
    """Every grid's code and polygon (prepared), straight from the database, in code order."""
    import shapely
    from shapely.geometry import shape

    from shequ.geo.models import Region, RegionLevel

    codes, geoms = [], []
    rows = Region.objects.filter(level=RegionLevel.GRID, boundary__isnull=False).order_by("code")
    for code, boundary in rows.values_list("code", "boundary"):
        geom = shape(boundary)
        if not geom.is_empty:
            shapely.prepare(geom)
            codes.append(code)
            geoms.append(geom)
    return codes, geoms


def random_points(geoms: list, count: int, *, seed: int) -> list[tuple[float, float]]:
    """Uniform random points inside the district (inside some grid), the same for every run with a seed."""
    import numpy as np
    import shapely

    rng = random.Random(seed)
    array = np.array(geoms, dtype=object)
    minx, miny, maxx, maxy = shapely.total_bounds(array)
    tree = shapely.STRtree(array)
    points: list[tuple[float, float]] = []
    while len(points) < count:
        xs = [rng.uniform(minx, maxx) for _ in range(count)]
        ys = [rng.uniform(miny, maxy) for _ in range(count)]
        hit = tree.query(shapely.points(xs, ys), predicate="intersects")
        inside = sorted(set(hit[0].tolist()))
        points.extend((xs[i], ys[i]) for i in inside)
    return points[:count]
