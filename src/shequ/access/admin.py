from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Grant, Unit, User
from .otp_admin import reset_two_factor


class GrantInline(admin.TabularInline):
    """Further grants beside the user's own role, area and unit (adding and removing them is audited)."""

    model = Grant
    fk_name = "user"
    extra = 0
    fields = ["role", "region", "unit", "clear_level", "reveal_level", "expires_at", "granted_by", "created_at"]
    readonly_fields = ["granted_by", "created_at"]
    autocomplete_fields = ["region", "unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [GrantInline]
    actions = [reset_two_factor]
    list_display = ["username", "name", "role", "region", "unit", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "name", "phone"]
    autocomplete_fields = ["region", "unit"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Role and scope"), {"fields": ["name", "phone", "role", "region", "unit"]}),
    )

    def save_formset(self, request, form, formset, change) -> None:  # type: ignore[no-untyped-def]
        for obj in formset.save(commit=False):
            if isinstance(obj, Grant) and obj.granted_by_id is None:
                obj.granted_by = request.user
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region", "unit", "clear_level", "reveal_level", "expires_at", "granted_by"]
    list_filter = ["role", "clear_level", "reveal_level"]
    search_fields = ["user__username", "user__name"]
    autocomplete_fields = ["user", "region", "unit"]
    readonly_fields = ["granted_by", "created_at"]

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        if obj.granted_by_id is None:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region", "phone", "active"]
    list_filter = ["active", "region__level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["region"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "grant", "channel", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    search_fields = ["name", "user__username"]
