from __future__ import annotations

import re

from django.urls import reverse

from shequ.events import actions
from shequ.events.models import Channel, Event, Status, TimelineEntry

from .conftest import client_for, png_bytes, png_upload


def reported(world, by=None, description="楼下垃圾堆积", photos=()):
    lon, lat = world.point_in(world.g1)
    return actions.report(
        by=by or world.resident,
        channel=Channel.RESIDENT,
        description=description,
        category=world.litter,
        lon=lon,
        lat=lat,
        photos=photos,
    )


def closed(world, **kwargs):
    event = reported(world, **kwargs)
    event = actions.accept(event, by=world.community_staff)
    event = actions.dispatch(event, by=world.community_staff)
    event = actions.handle(event, by=world.handler, result="已清理完毕", photos=[png_upload("after.png")])
    return actions.verify(event, by=world.grid_worker, passed=True)


def test_it_lists_own_reports_newest_first_with_plain_status_and_progress(world, resident_client):
    first = reported(world, description="第一件")
    second = actions.accept(reported(world, description="第二件"), by=world.community_staff)
    reported(world, by=world.resident2, description="别人的")
    response = resident_client.get(reverse("portal:my_reports"))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'data-event="([^"]+)"', html) == [second.code, first.code]
    assert '<span class="badge badge-accepted" data-status="accepted">已受理，正在派遣</span>' in html
    assert '<span class="badge badge-reported" data-status="reported">已上报，等待受理</span>' in html
    assert "别人的" not in html
    # accepted: 上报 and 受理 done, 处置 current
    second_html = html.split(f'data-event="{second.code}"')[1].split("</li>\n")[0]
    assert re.findall(r'data-step="(\w+)"', second_html)[:5] == ["done", "done", "current", "todo", "todo"]
    for label in ("上报", "受理", "处置", "核查", "办结"):
        assert f'<span class="label">{label}</span>' in html


def test_it_paginates_my_reports(world, resident_client):
    events = [reported(world, description=f"第{i}件") for i in range(12)]
    page1 = resident_client.get(reverse("portal:my_reports")).content.decode()
    page2 = resident_client.get(reverse("portal:my_reports") + "?page=2").content.decode()
    assert len(re.findall(r'data-event="', page1)) == 10
    assert re.findall(r'data-event="([^"]+)"', page2) == [events[1].code, events[0].code]


def test_it_shows_an_empty_list_kindly(world, resident_client):
    html = resident_client.get(reverse("portal:my_reports")).content.decode()
    assert "您还没有上报过问题" in html


def test_it_shows_the_public_timeline_without_staff_names(world, resident_client):
    event = closed(world, photos=[png_upload("before.png")])
    response = resident_client.get(reverse("portal:detail", args=[event.code]))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'data-timeline="(\w+)"', html) == ["report", "accept", "dispatch", "handle", "verify_pass"]
    assert "<strong>社区</strong> 已受理" in html
    assert "<strong>处置单位</strong> 已处置完毕" in html
    assert "已清理完毕" in html  # the result
    for staff in (world.community_staff, world.handler, world.grid_worker):
        assert staff.username not in html
    assert world.sanitation.name not in html
    assert '<span class="badge badge-closed" data-status="closed">已办结</span>' in html
    assert 'data-action="rate"' in html and 'data-submit="rate"' in html
    # Photos come through the workbench's scoped photo view, which serves a reporter their own.
    photo_urls = re.findall(r'<img src="([^"]+)"', html)
    assert photo_urls == [reverse("event_photo", args=[p.pk]) for p in event.photos.order_by("created_at", "id")]
    assert b"".join(resident_client.get(photo_urls[0]).streaming_content) == png_bytes()


def test_it_hides_other_residents_reports(world, resident_client):
    other = closed(world, by=world.resident2, photos=[png_upload()])
    photo = other.photos.first()
    assert resident_client.get(reverse("portal:detail", args=[other.code])).status_code == 404
    assert resident_client.get(reverse("event_photo", args=[photo.pk])).status_code == 404
    response = resident_client.post(reverse("portal:rate", args=[other.code]), {"score": 1})
    assert response.status_code == 404
    other.refresh_from_db()
    assert (other.rating, other.status) == (None, Status.CLOSED)
    assert resident_client.get(reverse("portal:detail", args=["440304-20990101-00001"])).status_code == 404


def test_it_hides_reports_in_my_area_from_staff_using_the_portal(world):
    event = reported(world)  # by the resident, inside the grid worker's area
    client = client_for(world.grid_worker)
    assert client.get(reverse("portal:detail", args=[event.code])).status_code == 404
    assert event.code not in client.get(reverse("portal:my_reports")).content.decode()


def test_it_rates_a_closed_report(world, resident_client):
    event = closed(world)
    response = resident_client.post(reverse("portal:rate", args=[event.code]), {"score": "5", "comment": "很及时"})
    assert response.status_code == 302 and response["Location"] == reverse("portal:detail", args=[event.code])
    event.refresh_from_db()
    assert (event.status, event.rating, event.rating_comment) == (Status.CLOSED, 5, "很及时")
    html = resident_client.get(response["Location"]).content.decode()
    assert "感谢您的评价" in html
    assert 'data-action="rate"' not in html  # rated once only
    assert "<strong>您</strong> 评价了处理结果" in html


def test_it_reopens_on_a_low_rating_when_asked(world, resident_client):
    event = closed(world)
    response = resident_client.post(
        reverse("portal:rate", args=[event.code]), {"score": "1", "comment": "垃圾又堆起来了", "reopen": "on"}
    )
    assert response.status_code == 302
    event.refresh_from_db()
    # The low score stays in the timeline; the reporter rates again once it closes again.
    assert (event.status, event.rating, event.rework_count, event.unit) == (
        Status.DISPATCHED,
        None,
        1,
        world.sanitation,
    )
    html = resident_client.get(reverse("portal:detail", args=[event.code])).content.decode()
    assert "已重新交办处理" in html
    assert "1★ 垃圾又堆起来了" in html
    assert 'data-section="result"' not in html  # the old result is no longer the answer
    assert '<span class="badge badge-dispatched" data-status="dispatched">正在处置</span>' in html
    assert re.findall(r'data-timeline="(\w+)"', html)[-2:] == ["rate", "reopen"]


def test_it_keeps_a_low_rating_closed_without_the_reopen_box(world, resident_client):
    event = closed(world)
    resident_client.post(reverse("portal:rate", args=[event.code]), {"score": "2"})
    event.refresh_from_db()
    assert (event.status, event.rating) == (Status.CLOSED, 2)


def test_it_refuses_a_rating_out_of_range_and_changes_nothing(world, resident_client):
    event = closed(world)
    entries = TimelineEntry.objects.count()
    response = resident_client.post(reverse("portal:rate", args=[event.code]), {"score": "6"})
    assert response.status_code == 400
    assert 'data-error="score"' in response.content.decode()
    event.refresh_from_db()
    assert event.rating is None and TimelineEntry.objects.count() == entries


def test_it_refuses_rating_an_open_report(world, resident_client):
    event = reported(world)
    response = resident_client.post(reverse("portal:rate", args=[event.code]), {"score": "5"})
    assert response.status_code == 400
    event.refresh_from_db()
    assert (event.rating, event.status) == (None, Status.REPORTED)
    assert list(event.timeline.values_list("action", flat=True)) == ["report"]


def test_it_shows_my_counts(world, resident_client):
    closed(world)
    reported(world)
    html = resident_client.get(reverse("portal:me")).content.decode()
    assert re.findall(r"<strong>(\d+)</strong>", html) == ["2", "1", "1"]
    assert 'data-action="logout"' in html
    assert isinstance(Event.objects.count(), int)
