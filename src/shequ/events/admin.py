from django.contrib import admin

from .models import Category, Duty, Event, Level, TimeLimit, TimelineEntry


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "rank", "default_amount", "default_unit"]


class TimeLimitInline(admin.TabularInline):
    model = TimeLimit
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "default_level", "active"]
    list_filter = ["active", "parent"]
    search_fields = ["code", "name", "keywords"]
    autocomplete_fields = ["parent"]
    inlines = [TimeLimitInline]


@admin.register(Duty)
class DutyAdmin(admin.ModelAdmin):
    list_display = ["category", "region", "unit", "note"]
    list_filter = ["region__level"]
    search_fields = ["category__name", "region__name", "unit__name"]
    autocomplete_fields = ["category", "region", "unit"]


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    can_delete = False
    readonly_fields = ["action", "actor", "from_status", "to_status", "unit", "note", "at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: events change only through the loop's actions, which keep the timeline."""

    list_display = ["code", "status", "category", "community", "unit", "deadline", "overdue"]
    list_filter = ["status", "channel", "overdue"]
    search_fields = ["code", "description", "address"]
    inlines = [TimelineInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
