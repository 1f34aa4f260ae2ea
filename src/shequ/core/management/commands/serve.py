from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand
from django.core.servers.basehttp import WSGIRequestHandler
from django.utils.module_loading import import_string

from shequ.core import scheduler


class Command(RunserverCommand):
    help = "Serve shequ on one machine: the web server plus the in-process scheduler of periodic tasks."

    def inner_run(self, *args, **options):
        # Headers and body go out in two writes; with Nagle on, a keep-alive client waits ~40 ms
        # for its delayed ACK on every response (measured by the benchmark suite).
        WSGIRequestHandler.disable_nagle_algorithm = True
        scheduler.start_in_thread()
        for path in settings.SHEQU_SERVE_ALSO:  # e.g. the demo's device simulator
            import_string(path)(url=f"http://{self.addr}:{self.port}")
        return super().inner_run(*args, **options)
