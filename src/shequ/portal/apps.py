from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "shequ.portal"
    label = "portal"
    verbose_name = "居民门户"
