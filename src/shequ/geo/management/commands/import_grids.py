"""Import grids from a GeoJSON file: ``manage.py import_grids grids.geojson [--dry-run]``.

Prints the report; exits with status 1 if the file has any problem (nothing is written then).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shequ.geo import geojson


def format_report(report: geojson.ImportReport) -> list[str]:
    lines = [
        _("%(created)d to create, %(updated)d to update, %(unchanged)d unchanged.")
        % {"created": len(report.created), "updated": len(report.updated), "unchanged": len(report.unchanged)}
    ]
    for p in report.problems:
        where = _("feature #%(n)d") % {"n": p.number} if p.number else "—"
        code = f" {p.region_code}" if p.region_code else ""
        lines.append(f"[{p.label}] {where}{code}：{p.message}")
    return lines


class Command(BaseCommand):
    help = "Import grids (create or update by code) from a GeoJSON FeatureCollection, all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="GeoJSON FeatureCollection, WGS-84")
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")

    def handle(self, *args, file: Path, dry_run: bool, **options) -> None:
        try:
            raw = file.read_bytes()
        except OSError as e:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": file, "error": e}) from e
        report = geojson.import_grids(raw, dry_run=dry_run)
        for line in format_report(report):
            self.stdout.write(line)
        if report.problems:
            raise CommandError(
                _("%(n)d problems found; nothing was imported.") % {"n": len(report.problems)}, returncode=1
            )
        if report.written:
            self.stdout.write(self.style.SUCCESS(_("Import done.")))
        else:
            self.stdout.write(self.style.SUCCESS(_("Check passed; run without --dry-run to import.")))
