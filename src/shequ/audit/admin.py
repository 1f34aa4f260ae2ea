"""The trail in the admin: read-only for everyone, superusers included. Changes and deletions are not offered."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["sequence", "at", "actor_username", "action", "channel", "ip", "target_type", "target_id"]
    list_filter = ["action", "channel"]
    search_fields = ["actor_username", "target_id", "purpose"]
    date_hierarchy = "at"
    actions = None  # no bulk "delete selected"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
