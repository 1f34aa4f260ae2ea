"""A task worker killed with SIGKILL in the middle of sending an alert's messages: after the restart every delivery
is sent, and a message that reached the gateway before the kill is sent again only under its first idempotency
key, so the provider drops it and no resident gets two text messages.

A real ``db_worker`` sends to a real HTTP SMS gateway (a sink in this process, a provider that drops a key it has
already accepted). The sink answers the batch's first messages slowly, so the worker writes some of them as sent
while its batch is still out, then holds one request unanswered: the worker is inside that send, whatever the
machine's speed, when the test kills it. The claim timeout is a day: only the claim's lock, gone with the dead
worker's connection, can give its rows back."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db.models import Count
from django_tasks_db.models import DBTaskResult

from shequ.access.models import Role
from shequ.alerts import actions as alerts
from shequ.alerts import sending
from shequ.alerts.actions import AlertInput
from shequ.alerts.models import AlertTemplate, Delivery, DeliveryChannel, DeliveryStatus
from shequ.geo.models import Building, Dwelling
from shequ.registry.models import Person, Residence
from tests.ops.workers import WAIT, restart, send_everything, task_status
from tests.world import user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

KEY = "sink-key"
RESIDENTS = 120  # three batches of 50: the kill lands in the first
SLOW = 0.3  # seconds the sink takes over each message before the held one
HOLD_AT = 8  # the sink never answers this request (the 8th it receives): the kill lands inside its send


@dataclass
class Sink:
    """What the gateway received, in order; ``held`` is set once the request it holds has come in."""

    url: str = ""
    received: list[dict] = field(default_factory=list)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests(self) -> list[dict]:
        with self.lock:
            return list(self.received)


@pytest.fixture
def sink() -> Iterator[Sink]:
    state = Sink()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(KEY.encode(), body, hashlib.sha256).hexdigest()
            message = json.loads(body)
            request = {
                "ref": message["ref"],
                "to": message["to"],
                "channel": message["channel"],
                "key": self.headers.get("Idempotency-Key"),
                "signed": hmac.compare_digest(expected, self.headers.get("X-Shequ-Signature", "")),
            }
            with state.lock:
                state.received.append(request)
                number = len(state.received)
            if number < HOLD_AT:
                time.sleep(SLOW)
            elif number == HOLD_AT:
                # Taken by the provider (it would go out), never answered: the worker dies waiting.
                state.held.set()
                state.release.wait(WAIT)
                return
            payload = json.dumps({"id": f"sink-{number}"}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


def _residents(world) -> list[str]:
    """A building in G1 with RESIDENTS people, each with a phone; returns the phones."""
    lon, lat = world.point_in(world.g1)
    building = Building.objects.create(grid=world.g1, name="S1", address="G1 S1", lon=lon, lat=lat, floors=10)
    dwellings = Dwelling.objects.bulk_create(
        [Dwelling(building=building, floor=1 + i // 12, room=str(i)) for i in range(RESIDENTS)]
    )
    people = Person.objects.bulk_create([Person(name=f"居民{i}", phone=f"138{i:08d}") for i in range(RESIDENTS)])
    Residence.objects.bulk_create(
        [
            Residence(person=p, dwelling=d, role="owner", start=date(2020, 1, 1))
            for p, d in zip(people, dwellings, strict=True)
        ]
    )
    return [p.phone for p in people]


def test_a_worker_killed_mid_send_leaves_every_delivery_sent_and_no_resident_two_messages(world, pg, workers, sink):
    pg.update(  # the workers' environment
        SHEQU_SMS_URL=sink.url,
        SHEQU_SMS_KEY=KEY,
        SHEQU_SMS_TIMEOUT="100",  # longer than the test waits: the held send never times out by itself
        SHEQU_ALERT_CLAIM_SECONDS="86400",  # batches of 50; no row is given back by its age during the test
        SHEQU_PUBLIC_URL="https://shequ.example.cn",
    )
    phones = _residents(world)
    approver = user("c1staff2", Role.COMMUNITY_STAFF, region=world.c1)
    data = AlertInput.from_template(AlertTemplate.objects.get(code="typhoon"), area_desc="G1", regions=[world.g1])
    draft = alerts.submit(alerts.compose(by=world.community_staff, data=data), by=world.community_staff)
    alert = alerts.approve(draft, by=approver)  # enqueues the fan-out, which enqueues the sending

    worker = workers.start("sender-1")
    assert sink.held.wait(WAIT), "the worker did not reach the held send"
    (task,) = DBTaskResult.objects.filter(task_path__endswith="send_deliveries")
    assert task.status == "RUNNING"
    assert sending.release_stale() == 0  # a live worker's claim is its own: its lock is held
    workers.kill(worker)
    before_the_kill = sink.requests()
    sink.release.set()

    # Killed inside its first batch: the rows written as sent while the batch was out stay so, the rest of the
    # batch is left claimed, nothing else was touched.
    rows = Delivery.objects.filter(alert=alert, channel=DeliveryChannel.SMS)
    at_the_kill = dict(rows.values_list("pk", "status"))
    assert len(at_the_kill) == RESIDENTS
    recorded = {pk for pk, status in at_the_kill.items() if status == DeliveryStatus.SENT}
    claimed = {pk for pk, status in at_the_kill.items() if status == DeliveryStatus.SENDING}
    received_before = [int(r["ref"]) for r in before_the_kill]
    assert len(received_before) == HOLD_AT
    assert recorded, "nothing of the batch was written as sent before the kill (a write a second)"
    assert recorded < set(received_before)
    assert len(recorded) + len(claimed) == sending.CLAIM_BATCH
    held = received_before[-1]
    assert held in claimed

    restart(workers, task.pk, "sender-1")
    send_everything()

    # Every delivery ended sent, each row written once more as sent.
    assert set(rows.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert not rows.exclude(provider_ref__startswith="sink-").exists()

    received = sink.requests()
    assert all(r["signed"] for r in received)
    by_delivery: dict[int, list[dict]] = defaultdict(list)
    for r in received:
        by_delivery[int(r["ref"])].append(r)
    assert set(by_delivery) == set(at_the_kill)
    # Each request carries the delivery's one key, on every try: a repeat names the message it repeats.
    for pk, tries in by_delivery.items():
        assert {(r["key"], r["ref"], r["to"]) for r in tries} == {(str(pk), str(pk), tries[0]["to"])}
    # Sent again: exactly the messages the gateway took before the kill that the dead worker had not written as
    # sent (the held one among them); none twice more, none the worker had written as sent.
    again = {pk for pk, tries in by_delivery.items() if len(tries) > 1}
    assert again == set(received_before) - recorded
    assert held in again
    assert max(len(tries) for tries in by_delivery.values()) == 2
    assert len(received) == RESIDENTS + len(again)
    # The provider drops a key it has taken: each resident's phone gets one message.
    first_of_each_key: dict[str, str] = {}
    for r in received:
        first_of_each_key.setdefault(r["key"], r["to"])
    per_phone = defaultdict(int)
    for to in first_of_each_key.values():
        per_phone[to] += 1
    assert per_phone == {phone: 1 for phone in phones}
    assert not rows.values("person_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert task_status(task.pk) == "SUCCESSFUL"
