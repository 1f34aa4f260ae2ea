from django.contrib import admin

from .models import Attempt, Delivery, OwnerNotice, Subscription, SubscriptionEntry


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Read-mostly: subscriptions change through their pages (actions: timeline, audit, the outbox's version)."""

    list_display = ("name", "url", "owner", "state", "failure_count", "updated_at")
    list_filter = ("state",)
    search_fields = ("name", "url")
    exclude = ("secret",)  # never shown again after it was made or rotated

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    readonly_fields = ("number", "at", "status_code", "succeeded", "duration_ms", "response", "error")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("key", "subscription", "event_type", "status", "attempts", "next_attempt_at", "created_at")
    list_filter = ("status", "event_type")
    search_fields = ("key", "event__code")
    inlines = [AttemptInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SubscriptionEntry)
class SubscriptionEntryAdmin(admin.ModelAdmin):
    list_display = ("subscription", "action", "actor", "at")
    list_filter = ("action",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OwnerNotice)
class OwnerNoticeAdmin(admin.ModelAdmin):
    list_display = ("user", "subscription", "created_at", "read_at")
