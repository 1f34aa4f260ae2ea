from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "shequ.services"
    label = "services"
    verbose_name = _("Resident services")

    def ready(self) -> None:
        # The aid ledger is one more record type of the registry's ledger import (registry knows none of its own).
        from .aid import importer

        importer.register()
