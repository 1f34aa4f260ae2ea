"""Apply the session's acting grant to ``request.user`` (after authentication), in memory only."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .grants import SESSION_KEY, apply, grant_for_session


class ActingGrant:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        value = session.get(SESSION_KEY) if session is not None else None
        if value:  # only a session that switched pays for the lookup
            user = request.user
            grant = grant_for_session(user, str(value)) if user.is_authenticated else None
            if grant is None:
                session.pop(SESSION_KEY, None)  # expired, removed, or another user's: back to the primary grant
            else:
                apply(user, grant)
        return self.get_response(request)
