"""Single sign-on's writes: registering and revoking client apps, linking and signing in city identities."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import login
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_access_token_model, get_grant_model, get_id_token_model, get_refresh_token_model

from shequ import audit
from shequ.access.models import User
from shequ.audit.actions import record_username
from shequ.core import clock
from shequ.core.errors import DomainError, InvalidInput

from .models import Client, ExternalIdentity

# The claim a first sign-in is linked by -> the account field it must equal.
LINK_FIELDS = {"preferred_username": "username", "phone_number": "phone", "email": "email"}
# The session of a login through the city provider keeps the account's usual backend: the callback authenticates,
# and every later request only needs get_user(), which ModelBackend provides (and checks is_active).
SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


class UnknownIdentity(DomainError):
    status = 403
    code = "sso_unknown_identity"

    def __init__(self, message: str, *, subject: str = "") -> None:
        super().__init__(message)
        self.subject = subject


# --- the provider side: client apps -------------------------------------------------------------------------


def _check_redirect_uri(uri: str) -> None:
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
        raise InvalidInput(_("Redirect URI %(uri)s must be an absolute http(s) address without #.") % {"uri": uri})


def register_client(
    *, name: str, redirect_uris: list[str], confidential: bool, by: User | None = None, skip_consent: bool = False
) -> tuple[Client, str]:
    """Register a community app. Returns the client and its secret (empty for a public client): only a hash of the
    secret is kept, so this is the one time anyone sees it."""
    name = name.strip()
    if not name:
        raise InvalidInput(_("The app needs a name."))
    uris = [uri.strip() for uri in redirect_uris if uri.strip()]
    if not uris:
        raise InvalidInput(_("The app needs at least one redirect URI."))
    for uri in uris:
        _check_redirect_uri(uri)
    secret = generate_client_secret() if confidential else ""
    client = Client(
        name=name,
        client_type=Client.CLIENT_CONFIDENTIAL if confidential else Client.CLIENT_PUBLIC,
        authorization_grant_type=Client.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(uris),
        algorithm=Client.RS256_ALGORITHM,
        skip_authorization=skip_consent,
        registered_by=by,
    )
    if secret:
        client.client_secret = secret  # hashed on save (hash_client_secret)
    try:
        client.full_clean()
    except ValidationError as e:
        raise InvalidInput("; ".join(e.messages)) from e
    with transaction.atomic():
        client.save()
        audit.record(
            "sso.client",
            actor=by,
            target=client,
            detail={
                "event": "register",
                "name": name,
                "client_id": client.client_id,
                "client_type": client.client_type,
                "redirect_uris": uris,
                "skip_consent": skip_consent,
            },
        )
    return client, secret


def revoke_client(client: Client, *, by: User | None = None) -> int:
    """Refuse the app from now on and delete its codes and tokens. Returns how many tokens went."""
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if client.revoked_at is not None:
            return 0
        client.revoked_at, client.revoked_by = clock.now(), by
        client.save(update_fields=["revoked_at", "revoked_by"])
        removed = 0
        for model in (get_refresh_token_model(), get_access_token_model(), get_id_token_model(), get_grant_model()):
            removed += model.objects.filter(application=client).delete()[0]
        audit.record(
            "sso.client",
            actor=by,
            target=client,
            detail={"event": "revoke", "client_id": client.client_id, "tokens_removed": removed},
        )
    return removed


# --- the client side: city identities -----------------------------------------------------------------------


def _link_field() -> str:
    claim = settings.SHEQU_OIDC_LINK_CLAIM
    if claim not in LINK_FIELDS:
        raise ImproperlyConfigured(f"SHEQU_OIDC_LINK_CLAIM must be one of {sorted(LINK_FIELDS)}, got {claim!r}")
    return LINK_FIELDS[claim]


def user_for_identity(issuer: str, claims: dict[str, Any]) -> tuple[User, ExternalIdentity, bool]:
    """The account a city identity signs in as, and whether it was linked just now.

    A known identity (issuer + subject) signs in as its account. An unknown one is linked only to the one existing
    active account whose field equals the link claim; never to a new account (no staff account appears because a
    provider said so), and never to an account already linked to another identity of the same provider."""
    subject = str(claims.get("sub") or "")
    refused = _(
        "Your unified identity is not linked to an account on this platform. Ask your administrator to "
        "create or link your account."
    )
    if not subject:
        raise UnknownIdentity(refused)
    identity = ExternalIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if identity is not None:
        if not identity.user.is_active:
            raise UnknownIdentity(_("The account linked to your unified identity is disabled."), subject=subject)
        return identity.user, identity, False
    field = _link_field()
    value = str(claims.get(settings.SHEQU_OIDC_LINK_CLAIM) or "").strip()
    if not value:
        raise UnknownIdentity(refused, subject=subject)
    lookup = {f"{field}__iexact" if field == "email" else field: value}
    matches = list(User.objects.filter(is_active=True, **lookup)[:2])
    if len(matches) != 1:  # none, or ambiguous: never guess
        raise UnknownIdentity(refused, subject=subject)
    user = matches[0]
    if ExternalIdentity.objects.filter(issuer=issuer, user=user).exists():
        raise UnknownIdentity(refused, subject=subject)
    identity = ExternalIdentity.objects.create(issuer=issuer, subject=subject, user=user, linked_at=clock.now())
    return user, identity, True


def sign_in(request: HttpRequest, identity: ExternalIdentity, *, linked: bool) -> None:
    """Log the account in, mark the session as single sign-on (the 2FA middleware reads the flag), audit it."""
    user = identity.user
    login(request, user, backend=SESSION_BACKEND)
    request.session["shequ_sso"] = True
    request.session["shequ_sso_issuer"] = identity.issuer
    identity.last_login_at = clock.now()
    identity.save(update_fields=["last_login_at"])
    audit.record(
        "sso.login",
        actor=user,
        request=request,
        target=user,
        detail={"issuer": identity.issuer, "subject": identity.subject, "linked": linked},
    )


def refuse(request: HttpRequest, *, reason: str, subject: str = "") -> None:
    """A sign-in through the city provider that did not happen, for the trail (like a failed password)."""
    record_username("login_failed", username=f"sso:{subject or reason}"[:150], request=request)
