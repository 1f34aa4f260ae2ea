from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand

from shequ.core import scheduler


class Command(RunserverCommand):
    help = "Serve shequ on one machine: the web server plus the in-process scheduler of periodic tasks."

    def inner_run(self, *args, **options):
        scheduler.start_in_thread()
        return super().inner_run(*args, **options)
