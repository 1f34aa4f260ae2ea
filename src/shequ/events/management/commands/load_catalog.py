"""``load_catalog <file.json|file.csv>``: import levels, categories, time limits,
units and duties (JSON) or duties alone (CSV), all or nothing. See docs/catalog.md."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shequ.core.errors import InvalidInput
from shequ.events.catalog import load_catalog, parse_catalog_file

# The catalog shipped with shequ, what `load_catalog` loads when given no file.
DEFAULT_CATALOG = Path(__file__).resolve().parents[2] / "data" / "catalog.json"


class Command(BaseCommand):
    help = "Load the event catalog (levels, categories, time limits, units, duties) from a JSON or CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", nargs="?", default=str(DEFAULT_CATALOG), help="catalog.json, or a duties CSV (default: built-in)"
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as e:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": path, "error": e.strerror}) from e
        try:
            counts = load_catalog(parse_catalog_file(path.name, content))
        except InvalidInput as e:
            # Exit status 1 tells scripts it failed; the message names every bad row.
            raise CommandError(_("The catalog was not loaded: %(reason)s") % {"reason": e.message}, returncode=1) from e
        self.stdout.write(
            _(
                "Catalog loaded: %(levels)s levels, %(categories)s categories, %(time_limits)s time limits, "
                "%(units)s units, %(duties)s duties."
            )
            % counts
        )
