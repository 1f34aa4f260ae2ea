"""/metrics counts webhook deliveries by status."""

from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from shequ.events import actions as loop
from shequ.events.models import Channel
from shequ.webhooks.models import Delivery, DeliveryStatus
from tests.webhooks.conftest import subscribe
from tests.world import World

pytestmark = pytest.mark.django_db


def test_deliveries_by_status_are_in_the_metrics(world: World, settings) -> None:
    settings.SHEQU_METRICS_TOKEN = "metrics-token"
    settings.SHEQU_METRICS_DB_SECONDS = 0  # read the database on this scrape, not a figure cached before
    subscribe(world, owner=world.admin)
    for i in range(3):
        loop.report(by=world.resident, channel=Channel.RESIDENT, description=f"问题{i}", category=world.litter,
                    region=world.g1)  # fmt: skip
    Delivery.objects.filter(pk=Delivery.objects.order_by("id").first().pk).update(status=DeliveryStatus.DEAD)
    resp = Client().get("/metrics", headers={"Authorization": "Bearer metrics-token"})
    assert resp.status_code == 200
    families = {f.name: f.samples for f in text_string_to_metric_families(resp.content.decode())}
    by_status = {s.labels["status"]: s.value for s in families["shequ_webhook_deliveries"]}
    assert by_status == {"pending": 2.0, "dead": 1.0}
