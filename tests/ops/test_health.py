"""/healthz and /readyz: each part's status, 503 only when a part failed."""

from __future__ import annotations

import json
import os
import socket
from datetime import timedelta

import pytest
from django.test import Client

from shequ.core import clock
from shequ.events.tasks import sweep_deadlines


def ready(client: Client, status: int = 200) -> dict:
    resp = client.get("/readyz")
    assert resp.status_code == status, resp.content
    assert resp["Cache-Control"].startswith("max-age=0")
    return json.loads(resp.content)


def test_it_answers_liveness_without_asking_anything_else(client):
    resp = client.get("/healthz")
    assert (resp.status_code, json.loads(resp.content)) == (200, {"status": "ok", "process": os.getpid()})


def test_it_is_ready_with_a_status_per_part(client, db):
    body = ready(client)
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "disk"}  # no broker configured, tasks in-process
    assert all(c["status"] == "ok" and c["message"] for c in body["checks"].values())
    assert body["checks"]["disk"]["value"] > 0


def test_it_fails_when_the_disk_under_var_is_nearly_full(client, db, settings):
    settings.SHEQU_READY_MIN_FREE_MB = 10**9
    body = ready(client, 503)
    assert (body["status"], body["checks"]["disk"]["status"]) == ("failed", "failed")
    assert "var/" in body["checks"]["disk"]["message"]


def test_it_is_degraded_but_ready_without_redis(client, db, settings):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "shequ.core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    body = ready(client)
    assert (body["status"], body["checks"]["cache"]["status"]) == ("degraded", "degraded")
    assert body["checks"]["database"]["status"] == "ok"


def test_it_checks_the_broker_when_one_is_configured(client, db, settings):
    settings.SHEQU_MQTT_URL = "mqtt://127.0.0.1:1"
    assert ready(client)["checks"]["broker"]["status"] == "degraded"
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=1).close()
    except OSError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("no MQTT broker on 127.0.0.1:1883")
    settings.SHEQU_MQTT_URL = "mqtt://127.0.0.1:1883"
    assert ready(client)["checks"]["broker"]["status"] == "ok"


def test_it_reports_the_task_queue_lag(client, db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    tasks = ready(client)["checks"]["tasks"]
    assert (tasks["status"], tasks["value"]) == ("ok", 0.0)
    sweep_deadlines.enqueue()
    settings.SHEQU_READY_TASK_LAG_SECONDS = 60
    with clock.frozen(clock.now() + timedelta(minutes=10)):
        body = ready(client)
    assert body["status"] == "degraded"
    assert body["checks"]["tasks"]["status"] == "degraded" and body["checks"]["tasks"]["value"] >= 599
