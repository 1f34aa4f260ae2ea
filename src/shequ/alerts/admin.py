from django.contrib import admin

from .models import Alert, AlertTemplate, UpstreamRule


@admin.register(AlertTemplate)
class AlertTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "event", "severity", "urgency", "active")
    list_filter = ("active", "category")


@admin.register(UpstreamRule)
class UpstreamRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "sender", "event", "min_severity", "active")
    list_filter = ("active",)
    filter_horizontal = ("regions",)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Read-only: alerts change only through the workflow (actions), never by hand."""

    list_display = ("headline", "msg_type", "state", "severity", "area_code", "created_at")
    list_filter = ("state", "msg_type", "origin")
    search_fields = ("headline", "identifier", "event")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
