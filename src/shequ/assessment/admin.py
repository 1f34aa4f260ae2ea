from django.contrib import admin

from .models import ResponseLimit
from .scoring_models import Month, Scheme, SchemeItem


@admin.register(ResponseLimit)
class ResponseLimitAdmin(admin.ModelAdmin):
    list_display = ("level", "hours")


class SchemeItemInline(admin.TabularInline):
    model = SchemeItem
    extra = 0


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    """The office edits schemes on /assessment/schemes/ (checked by ``scoring.save_scheme``); this is for repairs."""

    list_display = ("name", "subject", "active", "updated_at")
    inlines = [SchemeItemInline]


@admin.register(Month)
class MonthAdmin(admin.ModelAdmin):
    """Read only: months change through compute, review and freeze (``scoring``), which keep the timeline."""

    list_display = ("scheme", "month", "status", "computed_at", "frozen_at")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
