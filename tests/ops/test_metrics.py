"""/metrics: the Prometheus text format, readable only from configured addresses or with the token."""

from __future__ import annotations

import ipaddress

from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from shequ.events import actions
from shequ.events.models import Channel

TOKEN = "s3cret-metrics-token"


def scrape(client: Client, **headers) -> dict[str, list]:
    resp = client.get("/metrics", headers=headers)
    assert resp.status_code == 200, resp.content
    assert resp["Content-Type"].startswith("text/plain; version=")
    families = text_string_to_metric_families(resp.content.decode())
    return {f.name: f.samples for f in families}


def test_it_refuses_metrics_to_anyone_not_configured(client, db, settings):
    settings.SHEQU_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    settings.SHEQU_METRICS_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    resp = client.get("/metrics")
    assert resp.status_code == 403 and "令牌" in resp.content.decode()


def test_it_counts_requests_by_route_and_reads_figures_from_the_database(client, world, settings):
    settings.SHEQU_METRICS_TOKEN = TOKEN
    lon, lat = world.point_in(world.g1)
    event = actions.report(by=world.resident, channel=Channel.RESIDENT, description="垃圾", lon=lon, lat=lat)
    actions.reject(
        actions.report(by=world.resident, channel=Channel.RESIDENT, description="重复", lon=lon, lat=lat),
        by=world.community_staff,
        reason="重复",
    )
    client.get(f"/open311/v2/requests/{event.code}.json")  # 404 for the public: counted under its route
    metrics = scrape(client, Authorization=f"Bearer {TOKEN}")
    events = {s.labels["status"]: s.value for s in metrics["shequ_events"]}
    assert events == {"reported": 1.0, "rejected": 1.0}
    assert [s.value for s in metrics["shequ_events_overdue"]] == [0.0]
    requests = {
        (s.labels["route"], s.labels["status"]): s.value
        for s in metrics["shequ_http_requests"]
        if s.name == "shequ_http_requests_total"
    }
    assert requests[("open311/v2/requests/(?P<request_id>[^/]+?)\\.(?P<fmt>json|xml)$", "404")] >= 1
    buckets = [s for s in metrics["shequ_http_request_duration_seconds"] if s.name.endswith("_count")]
    assert buckets and all(s.value >= 1 for s in buckets)
    assert "shequ_alert_deliveries" in metrics


def test_it_answers_a_configured_network_without_a_token(client, db, settings):
    settings.SHEQU_METRICS_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    assert "shequ_events" in scrape(client)
