"""The outbox: which timeline rows become deliveries, for whom, saying what; nothing for a rolled-back change."""

from __future__ import annotations

import pytest
from django.db import transaction

from shequ.events import actions as loop
from shequ.events.models import Channel, Event, TimelineEntry
from shequ.webhooks import outbox
from shequ.webhooks.models import Delivery, DeliveryStatus
from tests.webhooks.conftest import subscribe
from tests.world import World

pytestmark = pytest.mark.django_db


LITTER = object()


def report(w: World, *, category=LITTER, grid=None, **kw) -> Event:
    return loop.report(
        by=w.resident,
        channel=Channel.RESIDENT,
        description="楼下垃圾堆了三天",
        category=w.litter if category is LITTER else category,
        region=grid or w.g1,
        reporter_name="王小明",
        reporter_phone="13812345678",
        **kw,
    )


def to_dispatched(w: World, event: Event) -> Event:
    event = loop.accept(event, by=w.community_staff)
    return loop.dispatch(event, by=w.community_staff)  # the duty for litter in C1: sanitation


def types(sub) -> list[str]:
    return list(Delivery.objects.filter(subscription=sub).order_by("id").values_list("event_type", flat=True))


def test_it_makes_one_delivery_per_matching_change(world: World) -> None:
    sub, _ = subscribe(world, owner=world.admin)
    event = to_dispatched(world, report(world))
    assert types(sub) == ["event.report", "event.accept", "event.dispatch"]
    delivery = Delivery.objects.filter(subscription=sub).latest("id")
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.entry == TimelineEntry.objects.filter(event=event).latest("id")
    assert len(delivery.key) == 32 and delivery.payload["delivery"] == delivery.key


def test_it_filters_by_action_status_channel(world: World) -> None:
    only_dispatch, _ = subscribe(world, owner=world.admin, actions=["dispatch"])
    closed_only, _ = subscribe(world, owner=world.admin, statuses=["closed"])
    hotline_only, _ = subscribe(world, owner=world.admin, channels=[Channel.HOTLINE])
    to_dispatched(world, report(world))
    assert types(only_dispatch) == ["event.dispatch"]
    assert types(closed_only) == []
    assert types(hotline_only) == []


def test_a_category_group_takes_its_leaves_and_no_other(world: World) -> None:
    env, _ = subscribe(world, owner=world.admin, categories=[world.group_env])
    noise, _ = subscribe(world, owner=world.admin, categories=[world.noise])
    report(world, category=world.graffiti)
    assert types(env) == ["event.report"]
    assert types(noise) == []


def test_an_event_without_category_matches_no_category_filter(world: World) -> None:
    env, _ = subscribe(world, owner=world.admin, categories=[world.group_env])
    report(world, category=None)
    assert types(env) == []


def test_areas_match_everything_inside_them(world: World) -> None:
    street, _ = subscribe(world, owner=world.admin, areas=[world.s1])
    other, _ = subscribe(world, owner=world.admin, areas=[world.g2])
    report(world, grid=world.g1)
    assert types(street) == ["event.report"]
    assert types(other) == []


def test_a_unit_filter_follows_the_events_routed_to_it(world: World) -> None:
    sub, _ = subscribe(world, owner=world.admin, units=[world.sanitation])
    event = to_dispatched(world, report(world))
    loop.return_(event, by=world.handler, reason="不归我们")
    # dispatch (to it) and return (its own answer): not the report or the accept before it reached the unit
    assert types(sub) == ["event.dispatch", "event.return"]


def test_only_events_the_owner_may_see_go_out(world: World) -> None:
    # The hotline system's account sees only its own reports; this one is a resident's, in a non-public category.
    sub, _ = subscribe(world, owner=world.system)
    to_dispatched(world, report(world))
    assert types(sub) == []


def test_a_public_event_goes_to_an_outsider_without_personal_words(world: World) -> None:
    world.group_env.public = True
    world.group_env.save()
    world.litter.public = True
    world.litter.save()
    sub, _ = subscribe(world, owner=world.system)
    to_dispatched(world, report(world))
    # reported: not on the open feed yet; accepted and dispatched: public, without the unconsented description
    assert types(sub) == ["event.accept", "event.dispatch"]
    payload = Delivery.objects.filter(subscription=sub).latest("id").payload
    assert payload["view"] == "public"
    assert payload["description"] == "" and payload["note"] == ""


def test_the_payload_never_carries_the_reporters_name_or_phone(world: World) -> None:
    sub, _ = subscribe(world, owner=world.admin)
    to_dispatched(world, report(world))
    for delivery in Delivery.objects.filter(subscription=sub):
        text = str(delivery.payload)
        assert "王小明" not in text and "13812345678" not in text
    payload = Delivery.objects.filter(subscription=sub).latest("id").payload
    assert payload["view"] == "grant"
    assert payload["description"] == "楼下垃圾堆了三天"
    assert payload["state"] == "dispatched" and payload["from_state"] == "accepted"
    assert payload["actor_role"] == "community_staff"
    assert payload["unit"] == {"code": "C1-HW", "name": "一社区环卫队"}
    assert payload["category"] == {"code": "0101", "name": "暴露垃圾"}


def test_close_and_rating_carry_the_outcome(world: World) -> None:
    sub, _ = subscribe(world, owner=world.admin, actions=["verify_pass", "rate"])
    event = to_dispatched(world, report(world))
    event = loop.handle(event, by=world.handler, result="已清运")
    event = loop.verify(event, by=world.grid_worker, passed=True)
    loop.rate(event, by=world.resident, score=4, comment="及时")
    close, rating = (d.payload for d in Delivery.objects.filter(subscription=sub).order_by("id"))
    assert close["state"] == "closed" and close["outcome"]["result"] == "已清运"
    assert close["outcome"]["closed_at"] is not None and close["outcome"]["rating"] is None
    assert rating["outcome"]["rating"] == 4 and rating["outcome"]["rating_comment"] == "及时"


def test_a_rolled_back_change_leaves_no_delivery(world: World) -> None:
    sub, _ = subscribe(world, owner=world.admin)
    event = report(world)
    before = Delivery.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        loop.accept(event, by=world.community_staff)
        assert Delivery.objects.count() == before + 1  # made in the action's own transaction ...
        raise RuntimeError("the request failed after the action")
    assert Delivery.objects.count() == before  # ... and gone with it
    assert types(sub) == ["event.report"]


def test_the_send_is_queued_only_after_commit(world: World, django_capture_on_commit_callbacks) -> None:
    subscribe(world, owner=world.admin)
    with django_capture_on_commit_callbacks() as callbacks:
        report(world)
    assert outbox.schedule_send in callbacks


def test_the_listener_costs_no_query_without_subscriptions(world: World, django_assert_num_queries) -> None:
    event = report(world)
    entry = event.timeline.get()
    outbox.snapshot.filters()  # loaded once (one query) and held
    with django_assert_num_queries(0):
        for _ in range(50):
            outbox.on_timeline(entry)


def test_a_subscription_deleted_elsewhere_is_skipped(world: World) -> None:
    sub, _ = subscribe(world, owner=world.admin)
    outbox.snapshot.filters()
    # Deleted behind the actions' back (another process a moment ago): the held filters still name it.
    type(sub).objects.filter(pk=sub.pk).delete()
    report(world)
    assert Delivery.objects.count() == 0


def test_a_change_in_another_process_is_seen_once_the_version_moves(world: World, monkeypatch) -> None:
    from django.core.cache import cache

    from shequ.webhooks.models import Subscription

    monkeypatch.setattr(outbox, "RECHECK_SECONDS", 0)  # check the shared version on every call
    assert outbox.snapshot.filters() == ()
    # Another process makes a subscription: its row is here, but this process has not heard of it yet ...
    Subscription.objects.create(name="别处", url="https://x.example.org/", secret="s", owner=world.admin)
    assert outbox.snapshot.filters() == ()
    # ... until that process moves the version (actions.changed), which every process checks.
    cache.set(outbox.VERSION_KEY, "moved-elsewhere", timeout=None)
    assert [f.pk for f in outbox.snapshot.filters()] == [Subscription.objects.get().pk]
