from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "shequ.geo"
    label = "geo"
    verbose_name = "地理网格"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (keeps the locate index in step with edits)
