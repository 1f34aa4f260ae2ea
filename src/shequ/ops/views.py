"""/healthz, /readyz and /metrics (docs/operations.md)."""

from __future__ import annotations

import hmac
import ipaddress
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from . import health, metrics


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Nothing else is asked (a database outage must not restart every process)."""
    # The process id tells an operator (and the production server's test) which process answered.
    return JsonResponse({"status": health.OK, "process": os.getpid()})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness, per part; 503 when a part failed, so a load balancer sends requests elsewhere."""
    status, parts = health.ready()
    return JsonResponse({"status": status, "checks": parts}, status=503 if status == health.FAILED else 200)


def _may_read_metrics(request: HttpRequest) -> bool:
    token = settings.SHEQU_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.SHEQU_METRICS_NETWORKS)


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _may_read_metrics(request):
        return HttpResponse(
            _("Metrics are readable only from the configured addresses or with the metrics token."),
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
