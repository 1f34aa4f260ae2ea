from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shequ.ops import backup


class Command(BaseCommand):
    help = "Write a consistent dump of the database and, apart from it, the key files (docs/operations.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, help="the backup's folder (default: var/backups/<time>)")

    def handle(self, *args: Any, out: Path | None, **options: Any) -> None:
        made = backup.backup(out)
        self.stdout.write(f"database: {made.database}")
        self.stdout.write(f"key files: {made.keys} (keep them apart from the database dump)")
