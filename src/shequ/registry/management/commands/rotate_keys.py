"""Re-encrypt what is encrypted at rest under the current key, while the site keeps running (docs/encryption.md)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shequ.core import crypto
from shequ.registry import encryption


class Command(BaseCommand):
    help = (
        "Re-encrypt every value not under the current key (SHEQU_DATA_KEYS / the key file), in batches, each its own "
        "transaction; --reindex also rebuilds the blind indexes under the current index key. Safe to stop and rerun."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=1000, help="rows per batch (one transaction each)")
        parser.add_argument("--reindex", action="store_true", help="also rebuild blind indexes under the current key")
        parser.add_argument(
            "--check", action="store_true", help="only count what is not under the current keys (exit 1 if any)"
        )
        parser.add_argument(
            "--generate",
            choices=["data", "index"],
            help="print a new key as a key-file line and exit (nothing is stored)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["generate"]:
            self.stdout.write(crypto.new_key_line(options["generate"]))
            return
        if options["batch"] < 1:
            raise CommandError(_("The batch size must be at least 1."))
        ring = crypto.keyring()
        self.stdout.write(
            _("Current key %(key)s (%(cipher)s), index key %(index)s.")
            % {"key": ring.data_id, "cipher": ring.cipher, "index": ring.index_id}
        )
        if options["check"]:
            counts = encryption.pending(reindex=options["reindex"])
            for store, n in counts.items():
                self.stdout.write(f"{store}: {n}")
            if any(counts.values()):
                sys.exit(1)
            self.stdout.write(_("Everything is under the current keys."))
            return
        report = encryption.rotate(batch=options["batch"], reindex=options["reindex"], progress=self._progress)
        self.stdout.write(
            _("%(values)s values re-encrypted, %(indexes)s indexes rebuilt, in %(seconds)s s.")
            % {"values": sum(report.reencrypted.values()), "indexes": report.reindexed, "seconds": report.seconds}
        )

    def _progress(self, store: str, done: int, total: int) -> None:
        # One line per batch: a log of a long run shows where it is and where to look if it stops.
        self.stdout.write(f"{store}: {done}/{total}")
