"""Sending to a real receiver: the signature, the idempotency key, retries with back-off (a frozen clock), the
pause after N failures with the owner told, replay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from shequ.core import clock
from shequ.core.errors import InvalidTransition
from shequ.events import actions as loop
from shequ.events.models import Channel
from shequ.webhooks import actions, sending
from shequ.webhooks.models import Attempt, Delivery, DeliveryStatus, OwnerNotice, State, Subscription
from tests.webhooks.conftest import Receiver, subscribe
from tests.world import World

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)  # after every delivery the tests make (those are due at once)


@pytest.fixture(autouse=True)
def _retries(settings) -> None:
    settings.SHEQU_WEBHOOK_RETRY_SECONDS = 60
    settings.SHEQU_WEBHOOK_RETRY_CAP_SECONDS = 200
    settings.SHEQU_WEBHOOK_MAX_ATTEMPTS = 4
    settings.SHEQU_WEBHOOK_PAUSE_AFTER = 3


def one_change(w: World) -> Delivery:
    loop.report(by=w.resident, channel=Channel.RESIDENT, description="井盖松动", category=w.litter, region=w.g1)
    return Delivery.objects.get()


def send_at(at: datetime) -> int:
    with clock.frozen(at):
        return sending.send_due()


def test_it_posts_the_body_signed_with_the_secret(world: World, receiver: Receiver) -> None:
    _sub, secret = subscribe(world, owner=world.admin, url=receiver.url)
    delivery = one_change(world)
    assert send_at(T0) == 1
    (got,) = receiver.received
    assert got.path == "/hook"
    expected = "sha256=" + __import__("hmac").new(secret.encode(), got.body, "sha256").hexdigest()
    assert got.headers["X-Shequ-Signature"] == expected
    assert sending.verify(got.body, got.headers["X-Shequ-Signature"], secret)
    assert not sending.verify(got.body, got.headers["X-Shequ-Signature"], "another-secret")
    assert got.headers["X-Shequ-Delivery"] == delivery.key
    assert got.headers["X-Shequ-Event"] == "event.report"
    body = json.loads(got.body)
    assert body["event"] == delivery.event.code and body["delivery"] == delivery.key
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1 and delivery.last_status_code == 200
    assert delivery.sent_at == T0
    assert Attempt.objects.get(delivery=delivery).succeeded
    assert send_at(T0 + timedelta(hours=1)) == 0  # sent once, never again by itself
    assert len(receiver.received) == 1


def test_a_failure_is_retried_after_back_off_with_the_same_key_and_body(world: World, receiver: Receiver) -> None:
    receiver.codes = [503, 500, 200]
    subscribe(world, owner=world.admin, url=receiver.url)
    delivery = one_change(world)
    assert send_at(T0) == 0
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_status_code == 503
    assert delivery.next_attempt_at == T0 + timedelta(seconds=60)  # base
    assert send_at(T0 + timedelta(seconds=59)) == 0 and len(receiver.received) == 1  # not due yet
    assert send_at(T0 + timedelta(seconds=60)) == 0
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == T0 + timedelta(seconds=60 + 120)  # doubled
    assert send_at(T0 + timedelta(seconds=180)) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 3
    keys = {r.headers["X-Shequ-Delivery"] for r in receiver.received}
    bodies = {r.body for r in receiver.received}
    assert keys == {delivery.key} and len(bodies) == 1 and len(receiver.received) == 3
    assert list(Attempt.objects.filter(delivery=delivery).order_by("number").values_list("status_code", flat=True)) == [
        503,
        500,
        200,
    ]


def test_back_off_is_capped() -> None:
    # settings: base 60 s, cap 200 s
    assert [sending.backoff(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [60, 120, 200, 200, 200]


def test_a_delivery_dies_after_the_last_try(world: World, receiver: Receiver, settings) -> None:
    settings.SHEQU_WEBHOOK_PAUSE_AFTER = 0  # never pause: this is about one delivery's tries
    receiver.codes = [500]
    subscribe(world, owner=world.admin, url=receiver.url)
    delivery = one_change(world)
    at = T0
    for _ in range(4):
        send_at(at)
        at += timedelta(hours=1)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD and delivery.attempts == 4 and delivery.next_attempt_at is None
    assert send_at(at + timedelta(days=1)) == 0 and len(receiver.received) == 4


def test_an_unreachable_receiver_is_a_failure_not_a_crash(world: World) -> None:
    subscribe(world, owner=world.admin, url="http://127.0.0.1:9/closed")  # the discard port: nothing listens
    delivery = one_change(world)
    assert send_at(T0) == 0
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_status_code is None
    assert "ConnectionError" in delivery.last_error


def test_failures_in_a_row_pause_the_subscription_and_tell_its_owner(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    receiver.codes = [500]
    world.handler.email = "handler@example.org"
    world.handler.save()
    sub, _ = subscribe(world, owner=world.handler, url=receiver.url, units=[world.sanitation])
    event = loop.report(by=world.resident, channel=Channel.RESIDENT, description="x", category=world.litter,
                        region=world.g1)  # fmt: skip
    event = loop.accept(event, by=world.community_staff)
    event = loop.dispatch(event, by=world.community_staff)
    loop.request_extension(event, by=world.handler, hours=4, reason="材料未到")
    assert Delivery.objects.filter(subscription=sub).count() == 2  # dispatch, request_extension
    with django_capture_on_commit_callbacks(execute=True):
        send_at(T0)  # two failures
        sub.refresh_from_db()
        assert sub.state == State.ACTIVE and sub.failure_count == 2
        send_at(T0 + timedelta(hours=1))  # the third in a row: paused
    sub.refresh_from_db()
    assert sub.state == State.PAUSED and sub.failure_count == 3 and sub.paused_at is not None
    assert len(receiver.received) == 3  # the pause stopped the fourth try
    notices = OwnerNotice.objects.filter(subscription=sub)
    assert {n.user for n in notices} == {world.handler, world.admin}  # the owner and who made it
    assert "测试订阅" in notices.first().text
    assert [m.to for m in mail.outbox] == [["handler@example.org"]]
    assert sub.timeline.filter(action="auto_pause").exists()
    # paused: nothing goes out, however long one waits
    assert send_at(T0 + timedelta(days=2)) == 0 and len(receiver.received) == 3
    # fixed and resumed: the waiting deliveries go out
    receiver.codes = [200]
    actions.resume(sub, by=world.admin)
    assert send_at(T0 + timedelta(days=2)) == 2
    sub.refresh_from_db()
    assert sub.failure_count == 0 and sub.state == State.ACTIVE


def test_a_success_resets_the_failures_in_a_row(world: World, receiver: Receiver) -> None:
    receiver.codes = [500, 200]
    sub, _ = subscribe(world, owner=world.admin, url=receiver.url)
    one_change(world)
    send_at(T0)
    sub.refresh_from_db()
    assert sub.failure_count == 1
    send_at(T0 + timedelta(hours=1))
    sub.refresh_from_db()
    assert sub.failure_count == 0


def test_replay_sends_the_same_key_once_more(world: World, receiver: Receiver) -> None:
    sub, _ = subscribe(world, owner=world.admin, url=receiver.url)
    delivery = one_change(world)
    send_at(T0)
    with clock.frozen(T0 + timedelta(minutes=5)):
        actions.replay(delivery, by=world.admin)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert send_at(T0 + timedelta(minutes=5)) == 1
    first, second = receiver.received
    assert first.headers["X-Shequ-Delivery"] == second.headers["X-Shequ-Delivery"] == delivery.key
    assert first.body == second.body
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.status == DeliveryStatus.SENT
    assert sub.timeline.filter(action="replay", delivery=delivery).exists()


def test_replay_is_refused_while_paused(world: World) -> None:
    sub, _ = subscribe(world, owner=world.admin)
    delivery = one_change(world)
    actions.pause(sub, by=world.admin, reason="维护")
    with pytest.raises(InvalidTransition) as e:
        actions.replay(delivery, by=world.admin)
    assert e.value.code == "subscription_paused"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and not sub.timeline.filter(action="replay").exists()


def test_a_claimed_delivery_is_not_sent_by_a_second_worker(world: World) -> None:
    subscribe(world, owner=world.admin)
    delivery = one_change(world)
    with clock.frozen(T0):
        assert sending.claim(delivery.pk) is not None
        assert sending.claim(delivery.pk) is None
    assert Subscription.objects.get().deliveries.get().attempts == 1


def test_a_bad_setting_fails_loudly(settings) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from shequ.webhooks import conf

    settings.SHEQU_WEBHOOK_MAX_ATTEMPTS = "many"
    with pytest.raises(ImproperlyConfigured, match="SHEQU_WEBHOOK_MAX_ATTEMPTS"):
        conf.max_attempts()
    settings.SHEQU_WEBHOOK_TIMEOUT = 0
    with pytest.raises(ImproperlyConfigured, match="SHEQU_WEBHOOK_TIMEOUT"):
        conf.timeout()


def test_the_scheduler_tick_sends_what_is_due(world: World, receiver: Receiver) -> None:
    from shequ.core import scheduler
    from shequ.webhooks import tasks

    assert "shequ.webhooks.tasks.send_webhooks" in scheduler.PERIODIC_TASKS
    subscribe(world, owner=world.admin, url=receiver.url)
    delivery = one_change(world)  # committed in a test transaction: no after-commit send ran
    assert receiver.received == []
    tasks.send_webhooks.enqueue()  # what the tick does (the in-process backend runs it at once)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and len(receiver.received) == 1
