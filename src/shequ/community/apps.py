from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "shequ.community"
    label = "community"
    verbose_name = _("Community life")

    def ready(self) -> None:
        # The "getting around" panels this app brings itself (other apps may register theirs).
        from django.apps import apps

        from . import around

        around.register("transit", around.transit_panel)
        if apps.is_installed("shequ.devices"):
            around.register("parking", around.parking_panel)
