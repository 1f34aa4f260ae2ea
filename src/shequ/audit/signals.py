"""Sign-ins, sign-outs and failed sign-ins, from Django's auth signals: every login path (staff, portal, admin)
sends them, so no view has to remember."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from .actions import record, record_username
from .models import Action


@receiver(user_logged_in, dispatch_uid="audit_login")
def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(Action.LOGIN, actor=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:  # signing out when not signed in is nothing to record
        record(Action.LOGOUT, actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def on_login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kw: Any) -> None:
    # Django has already masked the password in ``credentials``; keep only the name that was tried.
    record_username(Action.LOGIN_FAILED, username=str(credentials.get("username") or ""), request=request)


# --- grant changes: a user's role, area, unit and admin flags ---------------------------------------------

GRANT_FIELDS = ("role", "region_id", "unit_id", "is_superuser", "is_staff", "is_active")


def _grant(user: Any) -> dict[str, Any]:
    return {name: getattr(user, name) for name in GRANT_FIELDS}


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="audit_grant_before")
def remember_grant(sender: Any, instance: Any, **kwargs: Any) -> None:
    old = sender.objects.filter(pk=instance.pk).values(*GRANT_FIELDS).first() if instance.pk else None
    instance._grant_before = old


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="audit_grant_after")
def on_grant_change(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """Who may see and do what changed (or an account was created): the actor is whoever is being served."""
    if raw:  # fixtures
        return
    before = getattr(instance, "_grant_before", None)
    after = _grant(instance)
    if before == after:
        return
    changed = sorted(name for name in GRANT_FIELDS if before is None or before[name] != after[name])
    record(Action.GRANT_CHANGE, target=instance, fields=changed, detail={"before": before, "after": after})


# --- further grants (access.Grant): added, changed, removed -------------------------------------------------


def _grant_row(grant: Any) -> dict[str, Any]:
    return {
        "grant": grant.pk,
        "role": grant.role,
        "region_id": grant.region_id,
        "unit_id": grant.unit_id,
        "clear_level": grant.clear_level,
        "reveal_level": grant.reveal_level,
        "expires_at": grant.expires_at,
    }


@receiver(post_save, sender="access.Grant", dispatch_uid="audit_grant_row_saved")
def on_grant_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    op = "add" if created else "change"
    record(Action.GRANT_CHANGE, target=instance.user, fields=["grant"], detail={"op": op, **_grant_row(instance)})


@receiver(post_delete, sender="access.Grant", dispatch_uid="audit_grant_row_removed")
def on_grant_removed(sender: Any, instance: Any, **kwargs: Any) -> None:
    record(Action.GRANT_CHANGE, target=instance.user, fields=["grant"], detail={"op": "remove", **_grant_row(instance)})
