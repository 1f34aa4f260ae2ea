from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "shequ.stats"
    label = "stats"
    verbose_name = "统计查询"
