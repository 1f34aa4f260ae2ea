"""The SMS/voice gateway's wire format against a real local HTTP server; retries, back-off and the callback."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection

from shequ.alerts import fanout, gateway, sending
from shequ.alerts.models import Delivery, DeliveryStatus, OutboxMessage
from shequ.core import clock

from .conftest import approved, building_at, resident_in

pytestmark = pytest.mark.django_db

KEY = "test-gateway-key"


@dataclass
class Gateway:
    """A provider stand-in: answers each POST with the next status of ``replies`` (then 200) and keeps them."""

    url: str
    replies: list[int] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def provider(settings) -> Iterator[Gateway]:
    state = Gateway(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps connections open, as providers' gateways do
        disable_nagle_algorithm = True  # the reply's two writes go out at once (no delayed-ACK stall)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = {"path": self.path, "headers": dict(self.headers), "body": body, "client": self.client_address}
            with state.lock:
                state.received.append(request)
                number = len(state.received)
                status = state.replies.pop(0) if state.replies else 200
            payload = json.dumps({"id": f"p-{number}"} if status == 200 else {"error": "busy"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    settings.SHEQU_SMS_URL = state.url
    settings.SHEQU_SMS_KEY = KEY
    settings.SHEQU_SMS_TIMEOUT = 5
    settings.SHEQU_PUBLIC_URL = "https://shequ.example.cn"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def one_sms(world, staff_c1b, town) -> Delivery:
    """An alert over C1 whose only due delivery is the SMS to the texter (the others are put aside)."""
    alert = approved(world.community_staff, staff_c1b, regions=[world.c1])
    fanout.fan_out(alert)
    target = Delivery.objects.get(alert=alert, address="13800000002")
    Delivery.objects.filter(alert=alert, status=DeliveryStatus.QUEUED).exclude(pk=target.pk).update(
        status=DeliveryStatus.FAILED
    )
    return target


def test_it_posts_signed_json(provider, one_sms):
    assert sending.send_due() == 1
    [request] = provider.received
    assert request["path"] == "/sms/send"
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(request["body"])
    assert set(body) == {"to", "text", "ref", "callback", "channel"}
    assert (body["to"], body["ref"], body["channel"]) == ("13800000002", str(one_sms.pk), "sms")
    assert body["callback"] == "https://shequ.example.cn/alerts/delivery/callback/"
    assert one_sms.alert.headline in body["text"]
    assert "https://shequ.example.cn/alerts/ack/" in body["text"]
    expected = "sha256=" + hmac.new(KEY.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"][gateway.SIGNATURE_HEADER] == expected
    assert request["headers"][gateway.IDEMPOTENCY_HEADER] == str(one_sms.pk)  # = ref: a repeat can be dropped
    one_sms.refresh_from_db()
    assert (one_sms.status, one_sms.provider_ref, one_sms.attempts) == (DeliveryStatus.SENT, "p-1", 1)
    assert not OutboxMessage.objects.exists()  # a gateway is set: nothing goes to the local outbox


def test_a_5xx_is_retried_with_exponential_back_off(provider, one_sms, settings):
    settings.SHEQU_ALERT_RETRY_SECONDS = 30
    provider.replies = [503, 502]
    t0 = clock.now()
    with clock.frozen(t0):
        assert sending.send_due() == 0
    one_sms.refresh_from_db()
    assert (one_sms.status, one_sms.attempts, one_sms.last_error) == (DeliveryStatus.QUEUED, 1, "HTTP 503")
    assert one_sms.next_attempt_at == t0 + timedelta(seconds=30)
    with clock.frozen(t0 + timedelta(seconds=29)):
        assert sending.send_due() == 0  # not due yet: no request
    assert len(provider.received) == 1
    with clock.frozen(t0 + timedelta(seconds=30)):
        assert sending.send_due() == 0
    one_sms.refresh_from_db()
    assert one_sms.next_attempt_at == t0 + timedelta(seconds=30 + 60)  # doubled
    with clock.frozen(t0 + timedelta(seconds=90)):
        assert sending.send_due() == 1
    one_sms.refresh_from_db()
    assert (one_sms.status, one_sms.attempts, one_sms.last_error) == (DeliveryStatus.SENT, 3, "")
    assert len(provider.received) == 3
    assert len({r["body"] for r in provider.received}) == 1  # the same message each time


def test_it_fails_after_the_last_attempt(provider, one_sms, settings):
    settings.SHEQU_ALERT_MAX_ATTEMPTS = 3
    settings.SHEQU_ALERT_RETRY_SECONDS = 1
    provider.replies = [500] * 10
    t = clock.now()
    for _ in range(6):
        with clock.frozen(t):
            sending.send_due()
        t += timedelta(hours=1)
    one_sms.refresh_from_db()
    assert (one_sms.status, one_sms.attempts, one_sms.last_error) == (DeliveryStatus.FAILED, 3, "HTTP 500")
    assert len(provider.received) == 3


def test_a_4xx_fails_at_once(provider, one_sms):
    provider.replies = [400]
    sending.send_due()
    one_sms.refresh_from_db()
    assert (one_sms.status, one_sms.attempts) == (DeliveryStatus.FAILED, 1)
    assert len(provider.received) == 1


def test_an_unreachable_gateway_is_retried(settings, one_sms):
    settings.SHEQU_SMS_URL = "http://127.0.0.1:9/nothing-listens-here"
    settings.SHEQU_SMS_TIMEOUT = 2
    sending.send_due()
    one_sms.refresh_from_db()
    assert one_sms.status == DeliveryStatus.QUEUED
    assert one_sms.last_error.startswith("network")


def _callback(client, payload: dict, key: str = KEY):
    body = json.dumps(payload).encode()
    return client.post(
        "/alerts/delivery/callback/",
        data=body,
        content_type="application/json",
        headers={gateway.SIGNATURE_HEADER: gateway.sign(body, key)},
    )


def test_the_providers_delivery_report_marks_it_delivered(client, provider, one_sms):
    sending.send_due()
    response = _callback(client, {"ref": str(one_sms.pk), "status": "delivered"})
    assert response.status_code == 200
    assert response.json() == {"changed": True}
    one_sms.refresh_from_db()
    assert one_sms.status == DeliveryStatus.DELIVERED
    assert one_sms.delivered_at is not None


def test_an_unsigned_report_changes_nothing(client, provider, one_sms):
    sending.send_due()
    response = _callback(client, {"ref": str(one_sms.pk), "status": "failed"}, key="wrong")
    assert response.status_code == 403
    one_sms.refresh_from_db()
    assert one_sms.status == DeliveryStatus.SENT


def _alert_to_many(world, staff_c1b, residents: int):
    """An approved alert over C1 after ``residents`` more people with phones moved into a building of G1."""
    building = building_at(world.g1, 114.053, 22.545)
    for n in range(residents):
        resident_in(building, phone=f"1390000{n:04d}")
    return approved(world.community_staff, staff_c1b, regions=[world.c1])


def _bodies(provider: Gateway) -> list[dict]:
    return [json.loads(r["body"]) for r in provider.received]


def test_a_batch_goes_over_one_kept_alive_connection_and_each_row_keeps_its_own_id(
    provider, world, staff_c1b, town, settings
):
    settings.SHEQU_ALERT_CLAIM_SECONDS = 600  # batches of 50 (the gateway timeout is 5 s)
    alert = _alert_to_many(world, staff_c1b, 60)
    fanout.fan_out(alert)
    due = Delivery.objects.filter(alert=alert, status=DeliveryStatus.QUEUED).count()
    assert due > sending.CLAIM_BATCH  # more than one batch

    assert sending.send_due() == due
    assert len(provider.received) == due
    assert len({r["client"] for r in provider.received}) == 1  # one TCP connection for all of them
    refs = dict(Delivery.objects.filter(alert=alert).exclude(provider_ref="").values_list("pk", "provider_ref"))
    assert {int(body["ref"]): f"p-{n}" for n, body in enumerate(_bodies(provider), 1)} == refs
    assert set(Delivery.objects.filter(pk__in=refs).values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_the_claim_batch_ends_well_inside_the_claim_timeout(settings):
    settings.SHEQU_SMS_TIMEOUT = 10
    settings.SHEQU_ALERT_CLAIM_SECONDS = 600
    assert sending.claim_batch() == 30  # 30 sends timing out at 10 s each: 300 s, half the claim timeout
    settings.SHEQU_ALERT_CLAIM_SECONDS = 5
    assert sending.claim_batch() == 1


def test_an_answer_or_report_that_came_in_during_the_batch_is_not_overwritten(one_sms):
    [claimed] = sending._claim(Delivery.objects.filter(pk=one_sms.pk), 1)
    assert claimed.status == DeliveryStatus.SENDING
    # The resident answered on another channel while the batch was still being sent.
    Delivery.objects.filter(pk=one_sms.pk).update(status=DeliveryStatus.ACKNOWLEDGED)
    sending._record_sent({one_sms.pk: "p-77"})
    one_sms.refresh_from_db()
    assert (one_sms.status, one_sms.provider_ref) == (DeliveryStatus.ACKNOWLEDGED, "p-77")
    assert one_sms.sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_every_message_exactly_once(provider, world, staff_c1b, town, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the in-memory SQLite test database cannot make a second writer wait")
    settings.SHEQU_ALERT_CLAIM_SECONDS = 100  # batches of 10: the workers interleave
    # On commit the approval's task would send everything at once (the immediate backend): hold it.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    alert = _alert_to_many(world, staff_c1b, 80)
    fanout.fan_out(alert)
    due = Delivery.objects.filter(alert=alert, status=DeliveryStatus.QUEUED).count()
    start, sent, errors = threading.Barrier(2), [], []

    def worker() -> None:
        try:
            start.wait()
            sent.append(sending.send_due(limit=due))
        except Exception as e:
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(sent) == due
    refs = [body["ref"] for body in _bodies(provider)]
    assert len(refs) == len(set(refs)) == due
    assert Delivery.objects.filter(alert=alert, status=DeliveryStatus.SENT).count() == due


def test_a_retry_carries_the_first_tries_idempotency_key(provider, one_sms, settings):
    settings.SHEQU_ALERT_RETRY_SECONDS = 30
    provider.replies = [503]  # the provider may have taken it before it failed: the retry must be droppable
    t0 = clock.now()
    with clock.frozen(t0):
        sending.send_due()
    with clock.frozen(t0 + timedelta(seconds=30)):
        assert sending.send_due() == 1
    keys = [r["headers"][gateway.IDEMPOTENCY_HEADER] for r in provider.received]
    assert keys == [str(one_sms.pk)] * 2
    assert [json.loads(r["body"])["ref"] for r in provider.received] == keys
