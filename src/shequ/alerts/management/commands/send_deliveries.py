"""``manage.py send_deliveries [--once] [--interval N]``: the alert delivery worker.

Each round finishes lost fan-outs and sends what is due. Several workers may run at once: deliveries are claimed
in batches (locked, skipping rows another worker holds) before they are sent.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from shequ.alerts import fanout, sending


class Command(BaseCommand):
    help = "Fan out approved alerts and send due deliveries (SMS, voice, email)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="One round, then exit.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between rounds when idle.")
        parser.add_argument("--limit", type=int, default=500, help="Deliveries per round.")

    def handle(self, *args, once: bool, interval: float, limit: int, **options) -> None:
        while True:
            made = sum(fanout.fan_out(alert) for alert in fanout.alerts_to_fan_out())
            sent = sending.send_due(limit=limit)
            if once:
                self.stdout.write(f"fanned out {made}, sent {sent}")
                return
            close_old_connections()
            # Rest only after a round that sent nothing: with several workers sharing the queue each round sends
            # a part of ``limit`` while more is due, and resting then held 1M messages back by hours.
            if not sent:
                time.sleep(interval)
