"""``demo_ledgers``: write the demo's two sample ledgers (with their planted faults) from the loaded demo."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shequ.core import clock
from shequ.demo.ledgers import FAULTS_FILE, write_ledgers
from shequ.registry.models import Person


class Command(BaseCommand):
    help = "Write the demo's sample people ledger (XLSX) and shop ledger (CSV), with faults at known rows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, default=None, help="directory to write to (default: var/demo-ledgers)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (the same seed gives the same files)")

    def handle(self, *args, **options) -> None:
        if not Person.objects.exists():
            raise CommandError(_("There are no people yet: load the demo first (manage.py load_demo)."), returncode=1)
        out = options["out"] or settings.VAR_DIR / "demo-ledgers"
        for ledger in write_ledgers(out, seed=options["seed"], today=clock.now().date()):
            self.stdout.write(
                _("Sample ledger %(path)s: %(rows)s rows, %(faults)s of them faulty (see faults.json).")
                % {"path": ledger.path, "rows": ledger.rows, "faults": len(ledger.faults)}
            )
        self.stdout.write(_("The planted faults are listed in %(path)s.") % {"path": out / FAULTS_FILE})
