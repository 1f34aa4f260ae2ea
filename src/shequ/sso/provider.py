"""shequ as an OpenID Connect provider: which claims a community app gets for which scope, who may use a token.

Plugged into django-oauth-toolkit through OAUTH2_PROVIDER["OAUTH2_VALIDATOR_CLASS"] and ["SCOPES_BACKEND_CLASS"].
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes

# What each scope lets an app read; shown on the consent page.
SCOPES = {
    "openid": _("Confirm that you are signed in to the platform"),
    "profile": _("Your name and account name"),
    "shequ": _("Your role and the area or unit you serve"),
    "phone": _("Your mobile phone number"),
}
DEFAULT_SCOPES = ["openid"]


class Scopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return {name: str(text) for name, text in SCOPES.items()}

    def get_available_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any) -> list:
        return list(SCOPES)

    def get_default_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any) -> list:
        return list(DEFAULT_SCOPES)


def _area(attribute: str) -> Callable[[Any], str | None]:
    def claim(request: Any) -> str | None:
        region = request.user.region
        return getattr(region, attribute) if region is not None else None

    return claim


def _unit(attribute: str) -> Callable[[Any], str | None]:
    def claim(request: Any) -> str | None:
        unit = request.user.unit
        return getattr(unit, attribute) if unit is not None else None

    return claim


class Validator(OAuth2Validator):
    # A claim is released only with its scope; "sub" (the account's primary key: stable, never reused) always.
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "role": "shequ",
        "area_code": "shequ",
        "area_name": "shequ",
        "unit_code": "shequ",
        "unit_name": "shequ",
    }

    def get_additional_claims(self) -> dict[str, Callable[[Any], Any]]:
        # Request-agnostic form: the toolkit then lists these names in the discovery document's claims_supported.
        return {
            "preferred_username": lambda request: request.user.username,
            "name": lambda request: request.user.name or request.user.username,
            "role": lambda request: request.user.role,
            "area_code": _area("code"),
            "area_name": _area("name"),
            "unit_code": _unit("code"),
            "unit_name": _unit("name"),
            "phone_number": lambda request: request.user.phone or None,
        }

    def get_oidc_claims(self, token: Any, token_handler: Any, request: Any) -> dict[str, Any]:
        # An absent value is left out rather than sent as null (OIDC Core 5.3.2).
        claims = super().get_oidc_claims(token, token_handler, request)
        return {name: value for name, value in claims.items() if value is not None}

    def is_pkce_required(self, client_id: str, request: Any) -> bool:
        # A public client (a mobile or browser app) cannot keep a secret: PKCE is what binds its code to it.
        # Confidential clients may add PKCE; they authenticate with their secret either way.
        client = self._load_application(client_id, request)
        return client is None or client.client_type != AbstractApplication.CLIENT_CONFIDENTIAL

    # A deactivated account stops working in every community app at once, not when its tokens expire.

    def validate_code(self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any) -> bool:
        return super().validate_code(client_id, code, client, request, *args, **kwargs) and request.user.is_active

    def validate_bearer_token(self, token: str, scopes: list[str], request: Any) -> bool:
        # The toolkit already refuses tokens of a revoked client (Client.is_usable).
        return super().validate_bearer_token(token, scopes, request) and request.user.is_active

    def validate_refresh_token(self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any) -> bool:
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        return valid and request.user.is_active
