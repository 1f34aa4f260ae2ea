"""``manage.py simulate_devices``: realistic traffic from the demo's devices (HTTP, or MQTT with SHEQU_MQTT_URL)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from shequ.devices.simulator import Simulator


class Command(BaseCommand):
    help = "Send heartbeats, door and plate events, meter readings and now and then an alarm from the demo's devices."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default=settings.SHEQU_PUBLIC_URL or "http://127.0.0.1:8000",
                            help="the platform's address for HTTP (used when SHEQU_MQTT_URL is empty)")  # fmt: skip
        parser.add_argument("--mqtt", default=settings.SHEQU_MQTT_URL, help="mqtt://host:port (SHEQU_MQTT_URL)")
        parser.add_argument("--seconds", type=float, default=None, help="stop after this long (default: never)")
        parser.add_argument("--every", type=float, default=5.0, help="seconds between rounds")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options) -> None:
        simulator = Simulator(url=options["url"], mqtt_url=options["mqtt"], seed=options["seed"])
        wire = f"MQTT {options['mqtt']}" if options["mqtt"] else f"HTTP {options['url']}"
        self.stdout.write(f"simulating devices over {wire} (Ctrl-C stops)")
        try:
            simulator.run(seconds=options["seconds"], every=options["every"])
        except KeyboardInterrupt:
            pass
        self.stdout.write(f"sent {simulator.sent.ok} messages, {simulator.sent.refused} refused")
