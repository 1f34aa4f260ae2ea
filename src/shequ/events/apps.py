from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "shequ.events"
    label = "events"
    verbose_name = "事件闭环"

    def ready(self) -> None:
        from .memo import connect

        connect()  # the catalogue kept per process is dropped in every process when it changes
