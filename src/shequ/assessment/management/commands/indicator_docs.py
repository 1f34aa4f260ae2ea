"""Write the indicators' table into docs/indicators.md (between its markers) from ``assessment.indicators``."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from shequ.assessment.indicators import docs_table

START, END = "<!-- indicators:start -->", "<!-- indicators:end -->"


def rewrite(text: str) -> str:
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    return f"{head}{START}\n{docs_table()}\n{END}{tail}"


class Command(BaseCommand):
    help = "Write the indicators' table into docs/indicators.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--path", default="docs/indicators.md")

    def handle(self, *args, path: str, **options) -> None:
        file = Path(path)
        file.write_text(rewrite(file.read_text(encoding="utf-8")), encoding="utf-8")
        self.stdout.write(f"wrote {file}")
