"""``manage.py device_listener``: the MQTT wire of device ingestion, as its own process (docs/devices.md)."""

from __future__ import annotations

import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shequ.devices.listener import Broker, Listener, tune_process


class Command(BaseCommand):
    help = "Subscribe to <prefix>/+/messages on the MQTT broker and record what devices send (QoS 1, persistent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default=settings.SHEQU_MQTT_URL, help="mqtt://host:port (SHEQU_MQTT_URL)")
        parser.add_argument("--client-id", default=settings.SHEQU_MQTT_CLIENT_ID)
        parser.add_argument("--prefix", default=settings.SHEQU_MQTT_TOPIC_PREFIX)
        parser.add_argument("--batch", type=int, default=1000, help="messages per transaction at most")

    def handle(self, *args, **options) -> None:
        if not options["url"]:
            raise CommandError("No broker: set SHEQU_MQTT_URL (mqtt://host:port) or pass --url.")
        try:
            broker = Broker.from_url(options["url"])
        except ValueError as e:
            raise CommandError(str(e)) from None
        listener = Listener(broker, client_id=options["client_id"], prefix=options["prefix"], batch=options["batch"])
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: listener.stop.set())
        self.stdout.write(f"device listener: {broker.host}:{broker.port} {options['prefix']}/+/messages")
        tune_process()
        listener.run()
        self.stdout.write(f"device listener: stopped after {listener.processed} messages")
