"""Refuse NUL characters at the door: PostgreSQL cannot store them in text, so one in a query parameter or a JSON
body would otherwise reach the database and end as a server error instead of a clear refusal. Headers (a hostile
user agent) are cleaned instead: they are not the user's input, and sign-in records (audit, lockout) store them."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

API_PREFIXES = ("/api/", "/open311/")


def is_api(request: HttpRequest) -> bool:
    """A machine client's request (the API, Open311): answered in JSON, never redirected to a login page."""
    return request.path.startswith(API_PREFIXES)


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
        return True
    # Forms are checked by their own validation (Django's forms refuse NUL); JSON bodies are not.
    content_type = request.META.get("CONTENT_TYPE", "")
    return content_type.startswith("application/json") and b"\\u0000" in request.body


class RejectNul:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for key, value in request.META.items():
            if key.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
                request.META[key] = value.replace("\x00", "")
        if _has_nul(request):
            message = _("The request contains a NUL character, which is not allowed.")
            if is_api(request):
                body = json.dumps({"code": "nul_character", "message": message}, ensure_ascii=False)
                return HttpResponse(body, status=400, content_type="application/json")
            return HttpResponseBadRequest(message)
        return self.get_response(request)
