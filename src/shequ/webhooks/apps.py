from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "shequ.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # The events app calls its listeners for every timeline row; it never imports webhooks.
        from shequ.core import scheduler
        from shequ.events import hooks

        from . import outbox

        hooks.on_timeline(outbox.on_timeline)
        # Retries after back-off and sends that an after-commit enqueue lost: every tick (idempotent).
        if outbox.PERIODIC_TASK not in scheduler.PERIODIC_TASKS:
            scheduler.PERIODIC_TASKS.append(outbox.PERIODIC_TASK)
