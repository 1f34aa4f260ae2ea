from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "shequ.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # The events app calls its listeners for every timeline row; it never imports webhooks.
        from shequ.events import hooks

        from . import outbox

        hooks.on_timeline(outbox.on_timeline)  # the tick's retries: core/scheduler.py's PERIODIC_TASKS
