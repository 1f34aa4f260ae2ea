"""Prometheus metrics (docs/operations.md): requests and latency by route, and figures read from the database.

Request metrics are counted in each process by ``RequestMetrics``. Under the production server
(``serve_production``) several processes answer, so prometheus_client's multiprocess mode adds them up: the server
sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker starts, and a scrape reads every process's file.
The figures from the database (events by state, overdue, deliveries, task queue, device messages) are read on
each scrape, at most once per ``SHEQU_METRICS_DB_SECONDS`` per process (a scrape every few seconds must not
count a big table every time).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from shequ.core import clock

from . import health

REQUESTS = Counter(
    "shequ_http_requests", "HTTP requests answered, by route, method and status", ["route", "method", "status"]
)
LATENCY = Histogram(
    "shequ_http_request_duration_seconds",
    "Time to answer a request, by route and method",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    # The URL pattern, never the path: one series per route, not per event code.
    return match.route if match is not None and match.route else "unmatched"


class RequestMetrics:
    """Counts and times every request (first in the middleware: the time includes every other layer)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        route = _route(request)
        LATENCY.labels(route, request.method).observe(time.perf_counter() - start)
        REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        return response


class DatabaseFigures(Collector):
    """Gauges read from the database, cached for ``SHEQU_METRICS_DB_SECONDS``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at = -1e9
        self._families: list[Metric] = []

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if time.monotonic() - self._at >= settings.SHEQU_METRICS_DB_SECONDS:
                self._families = list(_read_figures())
                self._at = time.monotonic()
            yield from self._families


def _read_figures() -> Iterator[Metric]:
    from shequ.alerts.models import Delivery
    from shequ.events.models import OPEN_STATUSES, Event

    events = GaugeMetricFamily("shequ_events", "Events by state", labels=["status"])
    for row in Event.objects.order_by().values("status").annotate(n=Count("id")):
        events.add_metric([row["status"]], row["n"])
    yield events
    overdue = Event.objects.filter(overdue=True, status__in=OPEN_STATUSES).count()
    yield GaugeMetricFamily("shequ_events_overdue", "Open events past their deadline", value=overdue)

    deliveries = GaugeMetricFamily(
        "shequ_alert_deliveries", "Alert deliveries by channel and status", labels=["channel", "status"]
    )
    for row in Delivery.objects.order_by().values("channel", "status").annotate(n=Count("id")):
        deliveries.add_metric([row["channel"], row["status"]], row["n"])
    yield deliveries

    lag = health.task_lag()
    if lag is not None:
        from django_tasks_db.models import DBTaskResult

        depth = GaugeMetricFamily("shequ_tasks", "Background tasks by queue and status", labels=["queue", "status"])
        for row in DBTaskResult.objects.order_by().values("queue_name", "status").annotate(n=Count("id")):
            depth.add_metric([row["queue_name"], row["status"]], row["n"])
        yield depth
        yield GaugeMetricFamily("shequ_task_queue_age_seconds", "How long the oldest due task has waited", value=lag)

    if apps.is_installed("shequ.devices"):
        yield from _device_figures()
    if apps.is_installed("shequ.webhooks"):
        webhooks = GaugeMetricFamily("shequ_webhook_deliveries", "Webhook deliveries by status", labels=["status"])
        for row in apps.get_model("webhooks.Delivery").objects.order_by().values("status").annotate(n=Count("id")):
            webhooks.add_metric([row["status"]], row["n"])
        yield webhooks


def _device_figures() -> Iterator[Metric]:
    label = "devices.Message"  # the devices app may be absent: no import, no static reference
    Message = apps.get_model(label)
    since = clock.now() - timedelta(minutes=5)
    recent = Message.objects.filter(received_at__gte=since).order_by().values("wire", "type").annotate(n=Count("id"))
    family = GaugeMetricFamily(
        "shequ_device_messages_5m", "Device messages received in the last five minutes", labels=["wire", "type"]
    )
    for row in recent:
        family.add_metric([row["wire"], row["type"]], row["n"])
    yield family


_figures = DatabaseFigures()


def exposition() -> bytes:
    """The text format: this process's (or, under the production server, every process's) request metrics and
    the database figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)
        requests = generate_latest(processes)
    else:
        requests = generate_latest(REGISTRY)
    figures = CollectorRegistry(auto_describe=False)
    figures.register(_figures)
    return requests + generate_latest(figures)
