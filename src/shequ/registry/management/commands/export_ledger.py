"""Export the people or organisations a user may see to XLSX or CSV (the same rows and columns as the page)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.core.errors import DomainError
from shequ.registry import exporting


class Command(BaseCommand):
    help = "Export people or organisations a user may see, as XLSX or CSV (format from the file's suffix)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", help="file to write: .xlsx or .csv")
        parser.add_argument("--user", required=True, help="whose view of the base is exported")
        parser.add_argument("--record", choices=list(exporting.MODELS), default="person")
        parser.add_argument("--q", default="", help="the list pages' search, such as a name or an address")

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        fmt = output.suffix.lower().lstrip(".")
        if fmt not in exporting.FORMATS:
            raise CommandError(_("The output file must end in .xlsx or .csv."))
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(_("There is no user %(name)s.") % {"name": options["user"]})
        try:
            export = exporting.build_export(user, options["record"], options["q"], download=True)
        except DomainError as error:
            raise CommandError(error.message) from None
        with output.open("wb") as target:
            if fmt == "csv":
                for chunk in exporting.export_csv(export):
                    target.write(chunk)
            else:
                title = exporting.record_names()[export.record_type]
                exporting.write_xlsx(export.headers, exporting.rows(export), target, title=title)
        self.stdout.write(_("Written to %(file)s.") % {"file": output})
