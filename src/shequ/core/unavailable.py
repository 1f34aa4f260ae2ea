"""When the database is away (restarting, failed over, out of connections), requests get a 503 that says so; when
the disk under var/ is full, a 507.

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

from .errors import StorageFull
from .storage import is_disk_full

RETRY_AFTER_SECONDS = 5


def server_error(request: HttpRequest) -> HttpResponse:
    exc = sys.exc_info()[1]
    if isinstance(exc, StorageFull) or (exc is not None and is_disk_full(exc)):
        return _answer(request, 507, "disk_full", str(StorageFull()))
    if isinstance(exc, (OperationalError, InterfaceError)):
        message = _("The database is unavailable for a moment. Please try again shortly.")
        response = _answer(request, 503, "database_unavailable", message)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return defaults.server_error(request)


def _answer(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith(("/api/", "/open311/")):
        body = json.dumps({"code": code, "message": message}, ensure_ascii=False)
        return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    page = f'<!doctype html><html lang="zh-Hans"><meta charset="utf-8"><title>{status}</title><p>{escape(message)}</p>'
    return HttpResponse(page, status=status, content_type="text/html; charset=utf-8")
