"""shequ as a client of the city's identity provider, on mozilla-django-oidc.

The library's settings are not set globally: ``setting()`` answers its ``get_settings`` calls from SHEQU_OIDC_* and
from the provider's discovery document, which is fetched the first time someone clicks the button (not at start-up,
so a provider that is down never stops shequ from starting) and kept in the cache for SHEQU_OIDC_DISCOVERY_SECONDS.
"""

from __future__ import annotations

import hashlib
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from shequ.core.errors import DomainError

from . import actions

# Discovery document key -> the setting that overrides it.
ENDPOINTS = {
    "authorization_endpoint": "SHEQU_OIDC_AUTHORIZATION_ENDPOINT",
    "token_endpoint": "SHEQU_OIDC_TOKEN_ENDPOINT",
    "userinfo_endpoint": "SHEQU_OIDC_USERINFO_ENDPOINT",
    "jwks_uri": "SHEQU_OIDC_JWKS_ENDPOINT",
}
# mozilla-django-oidc setting -> discovery document key.
_LIBRARY_ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


class ProviderError(DomainError):
    """The city's identity provider cannot be reached or answered something we cannot use."""

    status = 502
    code = "sso_provider"


def configured() -> bool:
    return bool(settings.SHEQU_OIDC_ISSUER and settings.SHEQU_OIDC_CLIENT_ID and settings.SHEQU_OIDC_CLIENT_SECRET)


def issuer() -> str:
    return settings.SHEQU_OIDC_ISSUER.rstrip("/")


def _discovery_key() -> str:
    return "sso:discovery:" + hashlib.sha256(issuer().encode()).hexdigest()[:32]


def provider_metadata() -> dict[str, str]:
    """The provider's endpoints: each from its SHEQU_OIDC_* setting, else from the discovery document."""
    explicit = {key: getattr(settings, name) for key, name in ENDPOINTS.items()}
    if all(explicit.values()):
        return explicit
    document = cache.get(_discovery_key())
    if document is None:
        url = f"{issuer()}/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=settings.SHEQU_OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as e:
            raise ProviderError(_("The unified identity service cannot be reached now.")) from e
        # OpenID Connect Discovery 4.3: the document must name the issuer we asked, or it is not that provider.
        if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer():
            raise ProviderError(_("The unified identity service answered with a different issuer."))
        cache.set(_discovery_key(), document, settings.SHEQU_OIDC_DISCOVERY_SECONDS)
    try:
        return {key: explicit[key] or str(document[key]) for key in ENDPOINTS}
    except KeyError as e:
        raise ProviderError(_("The unified identity service's configuration is incomplete.")) from e


def setting(attr: str, *default: Any) -> Any:
    """What mozilla-django-oidc asks for, answered from shequ's own settings."""
    if attr in _LIBRARY_ENDPOINTS:
        return provider_metadata()[_LIBRARY_ENDPOINTS[attr]]
    fixed = {
        "OIDC_RP_CLIENT_ID": settings.SHEQU_OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.SHEQU_OIDC_CLIENT_SECRET,
        "OIDC_RP_SCOPES": settings.SHEQU_OIDC_SCOPES,
        "OIDC_RP_SIGN_ALGO": "RS256",
        "OIDC_RP_IDP_SIGN_KEY": None,
        "OIDC_USE_PKCE": True,  # harmless for a confidential client, and required by some providers
        "OIDC_USE_NONCE": True,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "sso:callback",
        "OIDC_TIMEOUT": settings.SHEQU_OIDC_TIMEOUT,
        "OIDC_CREATE_USER": False,
        "OIDC_STORE_ID_TOKEN": False,
        "OIDC_STORE_ACCESS_TOKEN": False,
    }
    if attr in fixed:
        return fixed[attr]
    return import_from_settings(attr, *default)


class LoginRedirect(OIDCAuthenticationRequestView):
    """Sends the browser to the provider with state, nonce and a PKCE challenge kept in the session."""

    get_settings = staticmethod(setting)


class CityBackend(OIDCAuthenticationBackend):
    """Exchanges the code, checks the ID token (signature from the provider's JWKS, issuer, audience, nonce) and
    maps the identity to an account. Not in AUTHENTICATION_BACKENDS: only the callback view calls it."""

    get_settings = staticmethod(setting)

    def __init__(self) -> None:
        super().__init__()
        self.identity: Any = None
        self.linked = False

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload = super().verify_token(token, **kwargs)
        # The library checks signature, expiry and nonce but not who issued the token or for whom.
        if str(payload.get("iss", "")).rstrip("/") != issuer():
            raise SuspiciousOperation("ID token from another issuer")
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if settings.SHEQU_OIDC_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token for another client")
        return payload

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        userinfo = self.get_userinfo(access_token, id_token, payload)
        # OpenID Connect Core 5.3.2: userinfo about someone else must not be used.
        if userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo sub differs from the ID token's")
        claims = {**payload, **userinfo}
        user, self.identity, self.linked = actions.user_for_identity(issuer(), claims)
        return user
