"""Client apps and linked identities in the admin. Apps are registered with the ``register_oidc_client`` command
(which shows the secret once and audits it), so the admin lists, edits and revokes but does not add them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from oauth2_provider import admin as toolkit_admin  # registers the toolkit's models (ours for Client), replaced below

from shequ import audit
from shequ.core import clock

from . import actions
from .models import Client, ExternalIdentity

if admin.site.is_registered(Client):
    admin.site.unregister(Client)


@admin.register(Client)
class ClientAdmin(toolkit_admin.ApplicationAdmin):
    list_display = ("name", "client_id", "client_type", "redirect_uris", "registered_by", "created", "revoked_at")
    list_filter = ("client_type", "skip_authorization")
    search_fields = ("name", "client_id")
    readonly_fields = ("registration_source", "cimd_expires_at", "registered_by", "revoked_at", "revoked_by")
    actions = ("revoke",)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def save_model(self, request: Any, obj: Client, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            "sso.client",
            request=request,
            target=obj,
            fields=sorted(form.changed_data),
            detail={"event": "change", "client_id": obj.client_id},
        )

    @admin.action(description=_("Revoke the selected apps"))
    def revoke(self, request: Any, queryset: Any) -> None:
        for client in queryset:
            actions.revoke_client(client, by=request.user)
        self.message_user(request, _("Revoked."), messages.SUCCESS)


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    list_display = ("subject", "issuer", "user", "linked_at", "last_login_at")
    search_fields = ("subject", "user__username", "user__name")
    list_filter = ("issuer",)
    raw_id_fields = ("user",)
    readonly_fields = ("linked_at", "last_login_at")

    def save_model(self, request: Any, obj: ExternalIdentity, form: Any, change: bool) -> None:
        # Linking an identity by hand lets it sign in as that account: a grant change.
        if obj.linked_at is None:
            obj.linked_at = clock.now()
        super().save_model(request, obj, form, change)
        audit.record(
            "grant_change",
            request=request,
            target=obj.user,
            fields=["external_identity"],
            detail={"event": "link", "issuer": obj.issuer, "subject": obj.subject},
        )

    def delete_model(self, request: Any, obj: ExternalIdentity) -> None:
        audit.record(
            "grant_change",
            request=request,
            target=obj.user,
            fields=["external_identity"],
            detail={"event": "unlink", "issuer": obj.issuer, "subject": obj.subject},
        )
        super().delete_model(request, obj)
