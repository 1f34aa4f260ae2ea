from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "shequ.events"
    label = "events"
    verbose_name = "事件闭环"
