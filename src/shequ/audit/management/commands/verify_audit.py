"""Walk the audit chain and report the first altered, missing or reordered entry. Exit status 1 on a fault."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shequ.audit.chain import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (exit status 1 on the first fault)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--chunk-size", type=int, default=5000, help="entries read per query")

    def handle(self, *args, chunk_size: int, **options) -> None:
        verdict = verify_chain(chunk_size=chunk_size)
        if not verdict.ok:
            raise CommandError(verdict.message, returncode=1)
        self.stdout.write(self.style.SUCCESS(verdict.message))
        self.stdout.write(f"#{verdict.head_sequence} {verdict.head_hash}")
