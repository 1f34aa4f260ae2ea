"""Session guards, after authentication and messages: idle and absolute expiry, then the second factor."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from shequ.core import clock
from shequ.core.middleware import is_api

from . import twofactor

STARTED = "shequ_started"  # when the session signed in (epoch seconds)
LAST_SEEN = "shequ_seen"  # the last request, to the minute
SEEN_GRANULARITY = 60  # write the session at most once a minute, not on every request
# Requests a page makes on its own (the live alert stream, htmx polling marked with this header) are not the user
# at work: they must not keep an unattended session alive.
BACKGROUND_PATHS = ("/alerts/stream/",)
BACKGROUND_HEADER = "X-Shequ-Background"


def _login_url(request: HttpRequest, resident: bool) -> str:
    return resolve_url("portal:login" if resident or request.path.startswith("/portal/") else settings.LOGIN_URL)


def _client_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """htmx requests swap the response into the page; tell htmx to navigate instead."""
    if request.headers.get("HX-Request"):
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)


class IdleSession:
    """Sign out a session idle for ``SHEQU_SESSION_IDLE_SECONDS`` or older than ``SESSION_COOKIE_AGE``.

    Django's own expiry slides with every write to the session; the sign-in time kept here does not."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            response = self.get_response(request)
            # This request signed in (the session now holds the login): the clocks start now. A request authenticated
            # by an API token has no session to time and must not get one (a session row and a commit per call).
            if request.user.is_authenticated and AUTH_SESSION_KEY in request.session:
                now = int(clock.now().timestamp())
                request.session[STARTED] = request.session[LAST_SEEN] = now
            return response
        session = request.session
        now = int(clock.now().timestamp())
        started, seen = session.get(STARTED), session.get(LAST_SEEN)
        idle = seen is not None and now - seen > settings.SHEQU_SESSION_IDLE_SECONDS
        too_old = started is not None and now - started > settings.SESSION_COOKIE_AGE
        if idle or too_old:
            resident = not user.is_staff_role
            logout(request)
            if is_api(request):  # the API answers as for anyone not signed in
                return self.get_response(request)
            messages.warning(request, _("Your session has expired. Please log in again."))
            if request.headers.get("HX-Request"):
                return _client_redirect(request, _login_url(request, resident))
            return redirect_to_login(request.get_full_path(), _login_url(request, resident))
        if started is None:
            session[STARTED] = now
        background = request.path.startswith(BACKGROUND_PATHS) or BACKGROUND_HEADER in request.headers
        if seen is None or (now - seen >= SEEN_GRANULARITY and not background):
            session[LAST_SEEN] = now
        return self.get_response(request)


# Paths an unverified session may still open: the second-factor pages themselves, signing out, static files.
OPEN_PREFIXES = ("/account/2fa/", "/static/", "/logout/", "/portal/logout/", "/admin/logout/")


class TwoFactorRequired:
    """A session that needs a second factor and has not given one goes to enrol (no device yet) or verify."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if twofactor.session_needs_verification(request) and not request.path.startswith(OPEN_PREFIXES):
            if request.headers.get("Authorization") or request.headers.get("X-API-Key"):
                return self.get_response(request)  # a token authenticates this request, not the session
            if is_api(request):
                message = _("Enter your two-factor code first.")
                return JsonResponse({"code": "two_factor_required", "message": message}, status=403)
            step = "access:verify" if twofactor.has_device(request.user) else "access:enrol"
            target = request.get_full_path() if request.method == "GET" else "/"
            return _client_redirect(request, f"{resolve_url(step)}?{urlencode({'next': target})}")
        return self.get_response(request)
