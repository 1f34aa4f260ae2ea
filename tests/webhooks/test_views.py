"""The subscription pages: who may open them, in Chinese, empty states, the delivery log's filter and pages,
making a subscription (the secret shown once), replay with confirmation, pause and resume, owners' notices."""

from __future__ import annotations

import pytest
from django.test import Client

from shequ.events import actions as loop
from shequ.events.models import Channel
from shequ.webhooks import actions
from shequ.webhooks.models import Delivery, DeliveryStatus, OwnerNotice, State, Subscription
from tests.webhooks.conftest import subscribe
from tests.world import World

pytestmark = pytest.mark.django_db


def client(u) -> Client:
    c = Client()
    c.force_login(u)
    return c


def text(resp) -> str:
    return resp.content.decode()


def reports(w: World, n: int) -> None:
    for i in range(n):
        loop.report(by=w.resident, channel=Channel.RESIDENT, description=f"问题{i}", category=w.litter, region=w.g1)


def test_the_list_is_chinese_with_an_empty_state(world: World) -> None:
    resp = client(world.street_dispatcher).get("/webhooks/")
    assert resp.status_code == 200
    body = text(resp)
    assert "推送订阅" in body and "暂无订阅。" in body and "新建订阅" in body


def test_who_may_open_the_pages(world: World) -> None:
    assert client(world.community_staff).get("/webhooks/").status_code == 403
    assert client(world.handler).get("/webhooks/").status_code == 403
    assert client(world.resident).get("/webhooks/").url == "/portal/"
    assert Client().get("/webhooks/").status_code == 302
    for u in (world.street_dispatcher, world.district_dispatcher, world.admin):
        assert client(u).get("/webhooks/").status_code == 200


def test_a_street_dispatcher_sees_only_subscriptions_inside_their_street(world: World) -> None:
    mine, _ = subscribe(world, owner=world.handler, areas=[world.c1], name="一社区环卫")
    theirs, _ = subscribe(world, owner=world.handler, areas=[world.c3], name="三社区环卫")
    everything, _ = subscribe(world, owner=world.admin, name="全区")
    c = client(world.street_dispatcher)
    body = text(c.get("/webhooks/"))
    assert "一社区环卫" in body and "三社区环卫" not in body and "全区" not in body
    assert c.get(f"/webhooks/{mine.pk}/").status_code == 200
    for other in (theirs, everything):
        assert c.get(f"/webhooks/{other.pk}/").status_code == 404
        assert c.post(f"/webhooks/{other.pk}/pause/").status_code == 404
    assert Subscription.objects.get(pk=theirs.pk).state == State.ACTIVE  # the refused pause changed nothing
    assert c.get(f"/webhooks/{everything.pk}/edit/").status_code == 404


def form(world: World, **over) -> dict:
    data = {
        "name": "物业系统",
        "url": "https://wuye.example.org/hook",
        "owner": world.handler.username,
        "areas": world.c1.code,
        "actions": ["dispatch", "verify_pass"],
    }
    return {**data, **over}


def test_making_a_subscription_shows_its_secret_once(world: World) -> None:
    c = client(world.street_dispatcher)
    assert "新建订阅" in text(c.get("/webhooks/new/"))
    resp = c.post("/webhooks/new/", form(world))
    assert resp.status_code == 200 and resp["Cache-Control"] == "no-store"
    sub = Subscription.objects.get()
    assert sub.secret.startswith("whsec_") and sub.secret in text(resp)
    assert sub.actions == ["dispatch", "verify_pass"] and [r.code for r in sub.areas.all()] == [world.c1.code]
    assert sub.timeline.get().action == "create"
    assert sub.secret not in text(c.get(f"/webhooks/{sub.pk}/"))  # never again
    rotated = c.post(f"/webhooks/{sub.pk}/rotate/")
    sub.refresh_from_db()
    assert sub.secret in text(rotated) and sub.timeline.filter(action="rotate_secret").exists()


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"areas": "440304002001"}, "以下区域不在您的辖区内"),
        ({"areas": ""}, "请至少选择一个您辖区内的区域"),
        ({"url": "ftp://x.example.org/"}, "目标地址须以 http:// 或 https:// 开头"),
        ({"owner": "nobody-here"}, "没有该用户名的有效账号"),
        ({"owner": "resident"}, "订阅不能以居民账号或统计账号的身份发送"),
        ({"areas": "999"}, "未知的行政区划代码"),
    ],
)
def test_bad_input_gets_a_chinese_message_and_nothing_is_made(world: World, over: dict, message: str) -> None:
    resp = client(world.street_dispatcher).post("/webhooks/new/", form(world, **over))
    assert resp.status_code == 200 and message in text(resp)
    assert not Subscription.objects.exists()


def test_editing_keeps_the_secret_and_records_it(world: World) -> None:
    sub, secret = subscribe(world, owner=world.handler, areas=[world.c1])
    c = client(world.street_dispatcher)
    assert world.handler.username in text(c.get(f"/webhooks/{sub.pk}/edit/"))
    resp = c.post(f"/webhooks/{sub.pk}/edit/", form(world, name="改名后"))
    assert resp.status_code == 302
    sub.refresh_from_db()
    assert sub.name == "改名后" and sub.secret == secret and sub.timeline.filter(action="edit").exists()


def test_the_delivery_log_filters_by_status_and_pages(world: World) -> None:
    sub, _ = subscribe(world, owner=world.admin)
    c = client(world.admin)
    assert "尚无推送" in text(c.get(f"/webhooks/{sub.pk}/"))
    reports(world, 27)
    Delivery.objects.filter(pk__in=list(sub.deliveries.values_list("pk", flat=True)[:2])).update(
        status=DeliveryStatus.DEAD
    )
    first = text(c.get(f"/webhooks/{sub.pk}/"))
    assert 'data-total="27"' in first and 'data-rows="25"' in first and "1 / 2" in first
    second = text(c.get(f"/webhooks/{sub.pk}/", {"page": 2}))
    assert 'data-rows="2"' in second
    dead = text(c.get(f"/webhooks/{sub.pk}/", {"status": "dead"}))
    assert 'data-total="2"' in dead and "已放弃" in dead
    none = text(c.get(f"/webhooks/{sub.pk}/", {"status": "sent"}))
    assert "没有该状态的推送。" in none


def test_replay_from_the_page_asks_first_then_goes_again(world: World) -> None:
    sub, _ = subscribe(world, owner=world.admin)
    reports(world, 1)
    delivery = sub.deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DEAD, attempts=8, next_attempt_at=None)
    c = client(world.admin)
    page = text(c.get(f"/webhooks/{sub.pk}/deliveries/{delivery.pk}/"))
    assert "确认重发" in page and delivery.key in page and "尚未发送。" in page
    assert c.get(f"/webhooks/{sub.pk}/deliveries/{delivery.pk}/replay/").status_code == 405  # a GET changes nothing
    resp = c.post(f"/webhooks/{sub.pk}/deliveries/{delivery.pk}/replay/", follow=True)
    assert "推送将以相同的幂等键再次发送" in text(resp)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at is not None


def test_pause_and_resume_from_the_page(world: World) -> None:
    sub, _ = subscribe(world, owner=world.admin)
    c = client(world.admin)
    resp = c.post(f"/webhooks/{sub.pk}/pause/", {"reason": "接收端维护"}, follow=True)
    assert "订阅已暂停" in text(resp) and "接收端维护" in text(resp)
    assert Subscription.objects.get(pk=sub.pk).state == State.PAUSED
    again = c.post(f"/webhooks/{sub.pk}/pause/", follow=True)
    assert "该订阅已暂停。" in text(again)
    c.post(f"/webhooks/{sub.pk}/resume/")
    assert Subscription.objects.get(pk=sub.pk).state == State.ACTIVE
    assert c.post(f"/webhooks/{sub.pk}/explode/").status_code == 404


def test_delete_asks_first(world: World) -> None:
    sub, _ = subscribe(world, owner=world.admin, name="旧订阅")
    c = client(world.admin)
    assert "删除“旧订阅”" in text(c.get(f"/webhooks/{sub.pk}/delete/"))
    assert Subscription.objects.filter(pk=sub.pk).exists()
    c.post(f"/webhooks/{sub.pk}/delete/")
    assert not Subscription.objects.filter(pk=sub.pk).exists()


def test_owners_read_their_own_notices(world: World) -> None:
    sub, _ = subscribe(world, owner=world.handler, areas=[world.c1])
    actions.tell(sub, "测试暂停通知")
    mine = client(world.handler)
    assert "测试暂停通知" in text(mine.get("/webhooks/notices/"))
    assert "测试暂停通知" not in text(client(world.handler_city).get("/webhooks/notices/"))
    assert "暂无推送订阅的通知。" in text(client(world.handler_city).get("/webhooks/notices/"))
    mine.post("/webhooks/notices/read/")
    assert not OwnerNotice.objects.filter(user=world.handler, read_at__isnull=True).exists()
