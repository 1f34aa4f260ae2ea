"""When the database is away (restarting, failed over, out of connections), requests get a 503 that says so.

Django turns an exception that no view handled into ``handler500``; this one looks at what was raised. A database
that cannot be reached answers 503 with ``Retry-After`` (JSON ``{"code": "database_unavailable", "message"}`` under
/api/ and /open311/, a short page elsewhere): a client that retries with its ``source_ref`` loses nothing, and a
person reads that it is temporary. Anything else stays Django's 500.
"""

from __future__ import annotations

import json
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views import defaults

RETRY_AFTER_SECONDS = 5


def server_error(request: HttpRequest) -> HttpResponse:
    exc = sys.exc_info()[1]
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return defaults.server_error(request)
    message = _("The database is unavailable for a moment. Please try again shortly.")
    if request.path.startswith(("/api/", "/open311/")):
        body = json.dumps({"code": "database_unavailable", "message": message}, ensure_ascii=False)
        response = HttpResponse(body, status=503, content_type="application/json; charset=utf-8")
    else:
        page = f'<!doctype html><html lang="zh-Hans"><meta charset="utf-8"><title>503</title><p>{escape(message)}</p>'
        response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
