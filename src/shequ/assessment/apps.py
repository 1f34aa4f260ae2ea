from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "shequ.assessment"
    label = "assessment"
    verbose_name = _("Assessment")

    def ready(self) -> None:
        # The events app calls its listeners for every timeline row; it never imports assessment.
        from shequ.events import hooks

        from . import boardlive, rollups

        hooks.on_timeline(rollups.queue_event)
        boardlive.register()
