from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shequ.ops import backup


class Command(BaseCommand):
    help = "Restore a backup into this machine's empty database and var/ (docs/operations.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--keys", type=Path, help="the key files' folder (default: <folder>-keys)")

    def handle(self, *args: Any, folder: Path, keys: Path | None, **options: Any) -> None:
        try:
            backup.restore(folder, keys=keys)
        except (ValueError, OSError) as e:
            raise CommandError(str(e)) from e
        self.stdout.write(self.style.SUCCESS(f"restored {folder}; check it with: manage.py verify_audit"))
