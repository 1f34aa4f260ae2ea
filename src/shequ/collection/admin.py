"""Read-only admin views: tasks are made, submitted and cancelled through ``actions`` (pages), never edited here."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import CollectionTask, FieldConfirmation, TaskEntry, TaskItem


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class TaskEntryInline(admin.TabularInline):
    model = TaskEntry
    extra = 0
    fields = ["at", "kind", "item", "note", "by"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CollectionTask)
class CollectionTaskAdmin(ReadOnly):
    list_display = ["title", "grid", "assignee", "status", "due", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "grid__name", "assignee__username", "assignee__name"]
    inlines = [TaskEntryInline]


@admin.register(TaskItem)
class TaskItemAdmin(ReadOnly):
    list_display = ["task", "person", "status", "changed", "done_at", "by"]
    list_filter = ["status"]
    raw_id_fields = ["task", "person"]


@admin.register(FieldConfirmation)
class FieldConfirmationAdmin(ReadOnly):
    list_display = ["record_type", "record_id", "field", "confirmed_at", "task", "by"]
    list_filter = ["record_type", "field"]
