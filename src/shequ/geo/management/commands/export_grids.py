"""Export grids as GeoJSON: ``manage.py export_grids [--community CODE] [-o grids.geojson]``."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shequ.geo import geojson
from shequ.geo.models import Region, RegionLevel


class Command(BaseCommand):
    help = "Export grids as a GeoJSON FeatureCollection (WGS-84), to stdout or a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--community", default="", help="only grids of this community (or street) code")
        parser.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")

    def handle(self, *args, community: str, output: Path | None, **options) -> None:
        if community and not Region.objects.filter(code=community).exclude(level=RegionLevel.GRID).exists():
            raise CommandError(_("No community or street with code %(code)s.") % {"code": community})
        collection = geojson.export_grids(within=community)
        text = geojson.dumps(collection)
        if output is None:
            self.stdout.write(text)
            return
        output.write_text(text + "\n", encoding="utf-8")
        self.stderr.write(_("%(n)d grids written to %(file)s.") % {"n": len(collection["features"]), "file": output})
