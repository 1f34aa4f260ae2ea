from django.contrib import admin

from .models import Alert, AlertTemplate, Delivery, OutboxMessage, UpstreamRule


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


class _ReadOnly(admin.ModelAdmin):
    """Deliveries and the outbox are written by the workers and answers only."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnly):
    list_display = ("alert", "channel", "address", "status", "attempts", "ack", "grid_code", "sent_at")
    list_filter = ("status", "channel", "ack")
    search_fields = ("address", "grid_code")
    raw_id_fields = ("alert", "person", "organization", "help_event")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(_ReadOnly):
    list_display = ("at", "channel", "to", "text")
    list_filter = ("channel",)
    search_fields = ("to",)
