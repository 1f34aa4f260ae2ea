from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "shequ.intake"
    verbose_name = _("Intelligent intake")

    def ready(self) -> None:
        # Reports without a usable category (hotline imports, Open311) get the model's; events never imports intake.
        from shequ.events import hooks

        from .actions import categorise_for_events

        hooks.on_uncategorised(categorise_for_events)
