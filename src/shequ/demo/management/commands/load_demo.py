"""``load_demo``: a demo district with people and 90 days of events, from a seed."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shequ.core.errors import InvalidInput
from shequ.demo.accounts import print_accounts
from shequ.demo.generator import load
from shequ.demo.scales import SCALES
from shequ.geo.models import Region


class Command(BaseCommand):
    help = (
        "Load the demo district: catalog, geography, units, duties, accounts, people, organisations, "
        "90 days of events, and two sample ledgers in var/demo-ledgers/."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="random seed (the same seed gives the same district)")
        parser.add_argument(
            "--scale",
            choices=list(SCALES),
            default="small",
            help="small (default) or full (people and organisations only in the first grids, up to 200,000 people)",
        )
        parser.add_argument("--events", type=int, default=None, help="events to simulate (default: the scale's)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if the database already has regions")
        parser.add_argument(
            "--ledgers",
            type=Path,
            default=None,
            help="where to write the sample ledgers (default: var/demo-ledgers)",
        )

    def handle(self, *args, **options) -> None:
        if options["if_empty"] and Region.objects.exists():
            self.stdout.write(_("The database already has a district; the demo was not loaded again."))
        else:
            started = time.perf_counter()
            try:
                summary = load(
                    seed=options["seed"],
                    scale=options["scale"],
                    events=options["events"],
                    progress=self.stdout.write,
                    ledgers=options["ledgers"] or settings.VAR_DIR / "demo-ledgers",
                )
            except InvalidInput as e:
                raise CommandError(e.message, returncode=1) from e
            geo, org, people = summary.geography, summary.organisation, summary.people
            assert geo is not None and org is not None and people is not None and summary.organizations is not None
            self.stdout.write(
                _(
                    "Demo loaded in %(seconds).1f s: %(grids)s grids, %(buildings)s buildings, "
                    "%(dwellings)s dwellings, %(people)s people in %(households)s households, "
                    "%(organizations)s organisations, "
                    "%(units)s units, %(duties)s duties, %(users)s accounts, %(events)s events."
                )
                % {
                    "seconds": time.perf_counter() - started,
                    "grids": f"{geo.grids:,}",
                    "buildings": f"{geo.buildings:,}",
                    "dwellings": f"{geo.dwellings:,}",
                    "people": f"{people.people:,}",
                    "households": f"{people.households:,}",
                    "organizations": f"{summary.organizations.organizations:,}",
                    "units": f"{org.units:,}",
                    "duties": f"{org.duties:,}",
                    "users": f"{org.users:,}",
                    "events": f"{summary.events:,}",
                }
            )
            self.stdout.write("  " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in summary.seconds.items()))
            for ledger in summary.ledgers:
                self.stdout.write(
                    _("Sample ledger %(path)s: %(rows)s rows, %(faults)s of them faulty (see faults.json).")
                    % {"path": ledger.path, "rows": ledger.rows, "faults": len(ledger.faults)}
                )
        print_accounts(self.stdout.write)
