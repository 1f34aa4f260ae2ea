"""Import a department's ledger (CSV or XLSX) into the community base, all or nothing, with a progress line."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.core.errors import DomainError
from shequ.registry.importing import ImportReport, import_file
from shequ.registry.models import LedgerSource


def _pair(text: str) -> tuple[str, str]:
    column, sep, target = text.partition("=")
    if not sep or not column.strip():
        raise CommandError(_("A mapping is written column=field, such as 身份证号=person.id_number."))
    return column.strip(), target.strip()


class Command(BaseCommand):
    help = (
        "Import a people, organisation (or other registered record type's) ledger (CSV or XLSX); --dry-run previews. "
        "Exit status 1 when rows are rejected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--source", required=True, help="ledger source name (its column mapping is reused)")
        parser.add_argument("--department", default="", help="owning department, when the source is new")
        from shequ.registry.importing import kinds

        parser.add_argument(
            "--record-type",
            choices=kinds.codes(),
            default="person",
            help="what the ledger lists, when the source is new",
        )
        parser.add_argument(
            "--map", action="append", default=[], metavar="COLUMN=FIELD", help="e.g. 身份证号=person.id_number"
        )
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--user", default="", help="username recorded as the importer")

    def handle(self, *args: Any, **options: Any) -> None:
        mapping = dict(_pair(m) for m in options["map"])
        by = None
        if options["user"]:
            by = User.objects.filter(username=options["user"]).first()
            if by is None:
                raise CommandError(_("There is no user %(name)s.") % {"name": options["user"]})
        source, _created = LedgerSource.objects.get_or_create(
            name=options["source"],
            defaults={"department": options["department"], "record_type": options["record_type"]},
        )
        try:
            report = import_file(
                options["file"],
                source=source,
                by=by,
                dry_run=options["dry_run"],
                mapping=mapping,
                progress=self._progress,
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        except OSError as error:
            raise CommandError(str(error)) from None
        self._print(report, dry_run=options["dry_run"])
        if not report.ok:
            sys.exit(1)

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        percent = 100 * done // total if total else 100
        self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {percent:3d}% {done}/{total}", ending="")
        if done >= total:
            self.stderr.write("")

    def _print(self, report: ImportReport, *, dry_run: bool) -> None:
        out = self.stdout.write
        if report.unmapped:
            out(_("Columns not imported: %(columns)s") % {"columns": "、".join(report.unmapped)})
        if report.same_file_as is not None:
            out(_("This file was already imported in batch %(batch)d.") % {"batch": report.same_file_as.pk})
        counts = {
            "total": report.total,
            "created": report.created,
            "updated": report.updated,
            "merged": report.merged,
            "queued": report.queued,
            "unchanged": report.unchanged,
            "rejected": report.rejected,
        }
        out(
            _(
                "%(total)d rows: %(created)d to create, %(updated)d to update, %(merged)d to merge, "
                "%(queued)d to review as possible duplicates, %(unchanged)d unchanged, %(rejected)d rejected."
            )
            % counts
        )
        for fault in report.rejections:
            out(
                _("Row %(row)d, column %(column)s (%(value)s): %(reason)s")
                % {"row": fault.row, "column": fault.column or "-", "value": fault.value, "reason": fault.reason}
            )
        batch = report.batch.pk
        if dry_run:
            out(_("Dry run (batch %(batch)d): nothing was written.") % {"batch": batch})
        elif report.ok:
            out(self.style.SUCCESS(_("Imported as batch %(batch)d.") % {"batch": batch}))
        else:
            out(self.style.ERROR(_("Batch %(batch)d rejected: nothing was written.") % {"batch": batch}))
