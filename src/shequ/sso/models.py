"""Single sign-on both ways: the apps that sign in with shequ accounts (``Client``), and the city identities that
sign in to shequ (``ExternalIdentity``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication

from shequ.core.fields import user_reference


class Client(AbstractApplication):
    """A community app registered to use shequ accounts (OpenID Connect relying party).

    Swapped in for django-oauth-toolkit's Application (OAUTH2_PROVIDER_APPLICATION_MODEL) so that a revoked client
    keeps its row, and its history, while the toolkit refuses it everywhere (``is_usable``)."""

    registered_by = user_reference(_("registered by"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = user_reference(_("revoked by"))

    class Meta(AbstractApplication.Meta):
        verbose_name = _("single sign-on client")
        verbose_name_plural = _("single sign-on clients")

    def is_usable(self, request: Any) -> bool:
        # Called by the toolkit on every authorization, token and client authentication.
        return self.revoked_at is None


class ExternalIdentity(models.Model):
    """A city identity provider's account (issuer + subject) linked to a shequ account."""

    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="external_identities"
    )
    linked_at = models.DateTimeField(_("linked at"))
    last_login_at = models.DateTimeField(_("last sign-in"), null=True, blank=True)

    class Meta:
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique")]

    def __str__(self) -> str:
        return f"{self.subject} @ {self.issuer}"
