from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "shequ.access"
    label = "access"
    verbose_name = "用户与权限"
