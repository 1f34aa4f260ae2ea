"""Import upstream CAP 1.2 files: ``manage.py import_cap FILE... [--user NAME]``.

Each file goes through ``upstream.import_cap``: a matching upstream rule publishes it at once, otherwise it waits
as a draft (of ``--user`` if given) for a second person to approve.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shequ.access.models import User
from shequ.alerts import upstream
from shequ.core.errors import DomainError


class Command(BaseCommand):
    help = "Import upstream CAP 1.2 XML files as alerts (published at once when an upstream rule matches)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--user", help="username the imported drafts belong to")

    def handle(self, *args, files: list[Path], user: str | None = None, **options) -> None:
        by = None
        if user:
            by = User.objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"no user {user!r}")
        failed = 0
        for path in files:
            try:
                alert = upstream.import_cap(path.read_bytes(), by=by, source=path.name)
            except OSError as e:
                failed += 1
                self.stderr.write(f"{path}: {e}")
            except DomainError as e:
                failed += 1
                self.stderr.write(f"{path}: {e.message}")
            else:
                self.stdout.write(f"{path}: {alert.identifier} -> {alert.state} (#{alert.pk})")
        if failed:
            raise CommandError(f"{failed} of {len(files)} files failed")
