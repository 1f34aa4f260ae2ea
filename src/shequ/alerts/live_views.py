"""Live push endpoints: the server-sent events stream, Web Push (un)subscription and the portal's service worker.
They parse, call ``live``/``webpush`` and answer."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from shequ.core.errors import DomainError

from . import live, webpush

SW_SCOPE = "/portal/"


def _signed_out() -> JsonResponse:
    # Not a redirect: EventSource and fetch would follow it to a login page. A 403 makes EventSource stop.
    return JsonResponse({"code": "not_authenticated", "message": _("Please sign in first.")}, status=403)


@require_GET
def stream(request: HttpRequest) -> HttpResponse:
    """``text/event-stream`` of the signed-in user's alerts (see ``live``)."""
    if not request.user.is_authenticated:
        return _signed_out()
    feed = live.Feed(request=request, after=live.resume_from(request))
    response = StreamingHttpResponse(live.stream(feed), content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


def _json_body(request: HttpRequest) -> object:
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None


@require_POST
def push_subscribe(request: HttpRequest) -> JsonResponse:
    """The browser's ``PushSubscription.toJSON()``; CSRF-protected like every POST (header X-CSRFToken)."""
    if not live.is_resident(request.user):
        return _signed_out()
    try:
        row = webpush.subscribe(request.user, _json_body(request))
    except DomainError as e:
        return JsonResponse({"code": e.code, "message": e.message}, status=e.status)
    return JsonResponse({"subscribed": True, "id": row.pk})


@require_POST
def push_unsubscribe(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return _signed_out()
    data = _json_body(request)
    endpoint = str(data.get("endpoint", "")) if isinstance(data, dict) else ""
    return JsonResponse({"removed": webpush.unsubscribe(request.user, endpoint)})


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker script, served under /portal/ so that its scope is the portal."""
    response = render(request, "alerts/sw.js", content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = SW_SCOPE
    return response
