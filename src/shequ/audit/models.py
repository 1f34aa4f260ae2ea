"""The audit trail: append-only entries chained by SHA-256, and the one-row head that serialises appends."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from shequ.core.errors import PermissionDenied


class Action(models.TextChoices):
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    LOGOUT = "logout", _("Signed out")
    REVEAL = "reveal", _("Revealed sensitive data")
    EXPORT = "export", pgettext_lazy("audit", "Export")
    WRITE = "write", _("Changed records")
    GRANT_CHANGE = "grant_change", _("Changed a grant")
    QUERY = "query", pgettext_lazy("audit", "Query")
    VERIFY = "verify", _("Verified the audit chain")
    LOCKOUT = "lockout", _("Account locked")
    PASSWORD_CHANGE = "password_change", _("Changed a password")
    OTP_ENROL = "otp.enrol", _("Enrolled two-factor authentication")
    OTP_FAILED = "otp.failed", _("Failed two-factor code")
    OTP_RESET = "otp.reset", _("Reset two-factor authentication")
    SSO_LOGIN = "sso.login", _("Signed in through single sign-on")
    SSO_CLIENT = "sso.client", _("Registered a single sign-on client")
    TOKEN_ISSUE = "token_issue", _("Issued an API token")
    STATS_QUERY = "stats.query", _("Statistics query")
    STATS_MEMBERSHIP = "stats.membership", _("Membership check")
    KEY_ROTATE = "key.rotate", _("Rotated encryption keys")


class Channel(models.TextChoices):
    PAGE = "page", pgettext_lazy("audit", "Page")
    API = "api", pgettext_lazy("audit", "API")
    COMMAND = "command", pgettext_lazy("audit", "Command")


class AppendOnly(PermissionDenied):
    code = "append_only"


class AuditEntryQuerySet(models.QuerySet):
    """Bulk changes would bypass ``save()``; refuse them here too. (Raw SQL is what ``verify_chain`` catches.)"""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnly(gettext("Audit entries cannot be changed."))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnly(gettext("Audit entries cannot be deleted."))


class AuditEntry(models.Model):
    """One thing someone did. ``hash`` covers every field below plus ``prev_hash`` (see ``chain.canonical``)."""

    sequence = models.PositiveBigIntegerField(_("sequence number"), unique=True, editable=False)
    at = models.DateTimeField(pgettext_lazy("audit", "time"), db_index=True, editable=False)
    # No database constraint and no cascade: deleting a user must not rewrite (or be blocked by) the trail.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        editable=False,
    )
    actor_username = models.CharField(_("account"), max_length=150, blank=True, db_index=True, editable=False)
    ip = models.CharField(_("IP address"), max_length=45, blank=True, editable=False)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True, editable=False)
    channel = models.CharField(pgettext_lazy("audit", "channel"), max_length=10, choices=Channel.choices)
    action = models.CharField(pgettext_lazy("audit", "action"), max_length=30, choices=Action.choices, db_index=True)
    target_type = models.CharField(_("target type"), max_length=60, blank=True, editable=False)
    target_id = models.CharField(_("target ID"), max_length=64, blank=True, editable=False)
    area_code = models.CharField(_("area code"), max_length=20, blank=True, db_index=True, editable=False)
    fields = models.JSONField(pgettext_lazy("audit", "fields"), default=list, blank=True, editable=False)
    purpose = models.TextField(pgettext_lazy("audit", "purpose"), blank=True, editable=False)
    detail = models.JSONField(pgettext_lazy("audit", "detail"), default=dict, blank=True, editable=False)
    prev_hash = models.CharField(_("previous hash"), max_length=64, editable=False)
    hash = models.CharField(_("hash"), max_length=64, editable=False)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.actor_username}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly(gettext("Audit entries cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnly(gettext("Audit entries cannot be deleted."))


class AuditHead(models.Model):
    """The single row (pk 1) holding the last sequence number and hash. Locking it serialises appends."""

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.sequence} {self.hash[:12]}"
