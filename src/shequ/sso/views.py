"""Thin views: the consent page (provider side), and the button, callback and refusal page (client side)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from oauth2_provider.views import AuthorizationView

from shequ.core.errors import DomainError

from . import actions, client

log = logging.getLogger("shequ.sso")


class ConsentView(AuthorizationView):
    """The toolkit's authorization endpoint with the Chinese consent page (templates/oauth2_provider/authorize.html).

    The consent form posts here and is answered with a redirect to the app; browsers apply the page's CSP
    form-action to that redirect, so the app's origin is allowed for this response only."""

    def render_to_response(self, context: dict, **kwargs) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        uri = context.get("redirect_uri") or ""
        parts = urlsplit(uri)
        if parts.scheme and parts.netloc:
            response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}  # django-csp reads this
        return response


def _refused(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "sso/refused.html", {"message": message}, status=status)


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """The "使用统一身份认证登录" button: off to the city's provider."""
    if not client.configured():
        raise Http404
    try:
        return client.LoginRedirect.as_view()(request)
    except client.ProviderError as e:
        log.warning("single sign-on unavailable: %s", e.__cause__ or e)
        return _refused(request, e.message, status=e.status)


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the browser back: exchange the code, map the identity, sign in."""
    if not client.configured():
        raise Http404
    states = request.session.get("oidc_states", {})
    pending = states.pop(request.GET.get("state", ""), None)  # used once: a replayed callback finds nothing
    request.session["oidc_states"] = states
    if request.GET.get("error"):
        actions.refuse(request, reason=str(request.GET["error"])[:60])
        return _refused(request, _("The unified identity service did not sign you in."))
    if pending is None or not request.GET.get("code"):
        return _refused(request, _("This sign-in has expired or was already used. Please start again."), status=400)
    backend = client.CityBackend()
    try:
        user = backend.authenticate(request, nonce=pending.get("nonce"), code_verifier=pending.get("code_verifier"))
    except actions.UnknownIdentity as e:
        actions.refuse(request, reason="unknown", subject=e.subject)
        return _refused(request, e.message, status=e.status)
    except DomainError as e:
        log.warning("single sign-on failed: %s", e.__cause__ or e)
        return _refused(request, e.message, status=e.status)
    except (requests.RequestException, SuspiciousOperation, KeyError, ValueError) as e:
        # The provider refused the code, or its answer did not verify: nothing a person can fix by reading it.
        log.warning("single sign-on failed: %r", e)
        actions.refuse(request, reason="invalid")
        return _refused(request, _("Signing in through the unified identity service failed."), status=502)
    if user is None or backend.identity is None:
        actions.refuse(request, reason="invalid")
        return _refused(request, _("Signing in through the unified identity service failed."), status=502)
    actions.sign_in(request, backend.identity, linked=backend.linked)
    next_url = request.session.pop("oidc_login_next", None)  # checked for a safe host when the flow started
    return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
