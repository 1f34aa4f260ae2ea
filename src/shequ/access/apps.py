from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "shequ.access"
    label = "access"
    verbose_name = "用户与权限"

    def ready(self) -> None:
        from .scopes import connect_token_memo

        connect_token_memo()
