"""Resolve identities over the community base: merge people scored as the same, queue the likely ones for review."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shequ.access.models import User
from shequ.registry.resolution import resolve_identities

STAGES = {
    "keys": gettext_noop("Blocking keys"),
    "pairs": gettext_noop("Scoring pairs"),
    "merges": gettext_noop("Merging"),
}


class Command(BaseCommand):
    help = "Compare current people sharing a blocking key; merge the same person automatically, queue the rest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", default="", help="username recorded on the automatic merges")

    def handle(self, *args: Any, **options: Any) -> None:
        by = None
        if options["user"]:
            by = User.objects.filter(username=options["user"]).first()
            if by is None:
                raise CommandError(_("There is no user %(name)s.") % {"name": options["user"]})
        self._last = 0.0
        report = resolve_identities(by=by, progress=self._progress)
        self.stdout.write(
            _(
                "%(keyed)s people keyed, %(compared)s pairs compared, %(merged)s merged automatically, "
                "%(queued)s queued for review, in %(seconds)s s."
            )
            % {
                "keyed": report.keyed,
                "compared": report.compared,
                "merged": report.merged,
                "queued": report.queued,
                "seconds": report.seconds,
            }
        )

    def _progress(self, stage: str, done: int, total: int) -> None:
        # One line, rewritten in place; at most a few times a second.
        now = time.monotonic()
        if done < total and now - self._last < 0.2:
            return
        self._last = now
        percent = 100 * done // total if total else 100
        label = _(STAGES.get(stage, stage))
        self.stderr.write(f"\r{label}: {percent:3d}% {done}/{total}   ", ending="")
        if done >= total:
            self.stderr.write("")
