"""The demo district, end to end: catalog, geography, organisation, people and organisations (and who works
where), events, ledgers.

``load()`` is what ``manage.py load_demo`` and the benchmarks call. Every phase
runs in its own transaction and draws from its own random stream named after
the seed, so the same seed gives the same district, people and events (event
times are relative to ``now``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from shequ.core import clock
from shequ.core.errors import InvalidInput
from shequ.events.catalog import load_catalog, parse_catalog_file
from shequ.geo.models import Region

from . import geography
from .businesses import OrganisationsSummary, build_organizations
from .cast import Cast
from .community import build_community
from .geography import GeographySummary
from .ledgers import Ledger, write_ledgers
from .organisation import OrganisationSummary, build_organisation
from .residents import PeopleSummary, build_people, link_resident_accounts
from .scales import SCALES, Scale
from .services import build_services
from .simulation import Simulation
from .workplaces import build_workplaces

DEFAULT_CATALOG = Path(__file__).resolve().parents[1] / "events" / "data" / "catalog.json"

Progress = Callable[[str], None]


@dataclass
class DemoSummary:
    seed: int
    scale: str
    catalog: dict[str, int] = field(default_factory=dict)
    geography: GeographySummary | None = None
    organisation: OrganisationSummary | None = None
    people: PeopleSummary | None = None
    organizations: OrganisationsSummary | None = None
    ledgers: list[Ledger] = field(default_factory=list)
    events: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    devices: object = None  # devices.DeviceSummary


def scale_named(scale: str | Scale) -> Scale:
    if isinstance(scale, Scale):
        return scale
    if scale not in SCALES:
        raise InvalidInput(
            _("Unknown scale %(scale)s (choose from %(choices)s).") % {"scale": scale, "choices": ", ".join(SCALES)}
        )
    return SCALES[scale]


def build_geography(
    *, seed: int = 1, scale: str | Scale = "small", progress: Progress | None = None
) -> GeographySummary:
    """Regions, buildings and dwellings only, in one transaction (for benchmarks)."""
    _require_empty()
    with transaction.atomic():
        return geography.build_geography(seed=seed, scale=scale_named(scale), progress=progress)


def load(
    *,
    seed: int = 1,
    scale: str | Scale = "small",
    events: int | None = None,
    now: datetime | None = None,
    catalog_file: Path = DEFAULT_CATALOG,
    progress: Progress | None = None,
    people: bool = True,
    ledgers: Path | None = None,
) -> DemoSummary:
    """Load the catalog file, then build the district, its units, duties, users, its people and organisations
    (unless ``people`` is false) and ``events`` events (default: the scale's) over the 90 days before ``now``;
    write the two sample ledgers into ``ledgers`` when given."""
    say = progress or (lambda _msg: None)
    chosen = scale_named(scale)
    _require_empty()
    now = now or clock.now()
    summary = DemoSummary(seed=seed, scale=chosen.name)

    def phase(name: str, label: str, work: Callable[[], object]) -> None:
        say(label)
        started = time.perf_counter()
        with transaction.atomic():
            work()
        summary.seconds[name] = round(time.perf_counter() - started, 2)

    def catalog() -> None:
        try:
            summary.catalog = load_catalog(parse_catalog_file(catalog_file.name, catalog_file.read_bytes()))
        except InvalidInput as e:  # the same words as `load_catalog`
            raise InvalidInput(_("The catalog was not loaded: %(reason)s") % {"reason": e.message}, code=e.code) from e
        say(
            _(
                "Catalog loaded: %(levels)s levels, %(categories)s categories, %(time_limits)s time limits, "
                "%(units)s units, %(duties)s duties."
            )
            % summary.catalog
        )

    def geo() -> None:
        summary.geography = geography.build_geography(seed=seed, scale=chosen, progress=say)

    def organisation() -> None:
        summary.organisation = build_organisation(seed=seed, residents=20 if chosen.name != "full" else 100)

    def residents() -> None:
        summary.people = build_people(seed=seed, today=now.date(), limit=chosen.people_limit)
        link_resident_accounts()
        say(
            _(
                "People: %(people)s (%(current)s living here, %(registered)s registered, %(floating)s floating, "
                "%(foreign)s from abroad), %(households)s households, %(residences)s residences."
            )
            % {k: f"{v:,}" for k, v in vars(summary.people).items() if isinstance(v, int)}
        )

    def organizations() -> None:
        grids = summary.people.grids if summary.people and chosen.people_limit else None
        summary.organizations = build_organizations(seed=seed, today=now.date(), grids=grids)
        summary.organizations.employments = build_workplaces(seed=seed, today=now.date())

    def devices() -> None:  # devices: the demo's devices, car parks and rule table
        from .devices import build_devices

        summary.devices = build_devices(seed_value=seed)

    def sample_ledgers() -> None:
        assert ledgers is not None
        summary.ledgers = write_ledgers(ledgers, seed=seed, today=now.date())

    count = chosen.events if events is None else events

    def simulate() -> None:
        summary.events = Simulation(seed=seed, now=now, cast=Cast.load()).run(count)

    phase("catalog", _("Loading the event catalog …"), catalog)
    phase("geography", _("Building the district's geography …"), geo)
    phase("organisation", _("Creating units, the responsibility list and accounts …"), organisation)
    if people:
        phase("people", _("Settling people, households and their homes …"), residents)
        phase("organizations", _("Registering shops, firms and other organisations …"), organizations)
        phase("services", _("Opening resident services …"), lambda: build_services(seed=seed, now=now))
        phase("community", _("Bringing community life …"), lambda: build_community(seed=seed, now=now))
        if ledgers is not None:
            phase("ledgers", _("Writing the sample ledgers …"), sample_ledgers)
    if people and count:
        phase("devices", _("Installing devices …"), devices)
    if count:
        phase("events", _("Playing 90 days of events …"), simulate)
    return summary


def _require_empty() -> None:
    if Region.objects.exists():
        raise InvalidInput(
            _("The database already has regions; the demo loads only into an empty one."), code="demo_not_empty"
        )
