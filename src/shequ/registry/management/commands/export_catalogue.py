"""Write the data resource catalogue (数据资源目录) as XLSX or JSON (format from the file's suffix)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shequ.registry import catalogue


class Command(BaseCommand):
    help = "Write the data resource catalogue (数据资源目录) to a .xlsx or .json file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", help="file to write: .xlsx or .json")

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        suffix = output.suffix.lower()
        if suffix == ".json":
            output.write_bytes(catalogue.json_bytes())
        elif suffix == ".xlsx":
            with output.open("wb") as target:
                catalogue.write_xlsx(target)
        else:
            raise CommandError(_("The output file must end in .xlsx or .json."))
        self.stdout.write(_("Written to %(file)s.") % {"file": output})
