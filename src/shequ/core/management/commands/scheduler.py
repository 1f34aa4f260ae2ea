import threading

from django.core.management.base import BaseCommand

from shequ.core import scheduler


class Command(BaseCommand):
    help = "Enqueue the periodic tasks (deadline sweep) every SHEQU_TICK_SECONDS until stopped."

    def handle(self, *args, **options) -> None:
        try:
            scheduler.run(threading.Event())
        except KeyboardInterrupt:
            pass
