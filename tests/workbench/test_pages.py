"""Every page for staff, the door for everyone else, and scope on the detail page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shequ.events.models import Status, TimelineEntry

from .conftest import report

STAFF_PAGES = ["home", "event_list", "map", "map_regions", "map_events"]


@pytest.mark.parametrize(
    "persona",
    [
        "grid_worker",
        "community_staff",
        "street_dispatcher",
        "district_dispatcher",
        "handler",
        "admin",
    ],
)
def test_it_shows_every_page_to_staff(client, world, persona):
    event = report(world)
    client.force_login(getattr(world, persona))
    for name in STAFF_PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    expected = 404 if persona == "handler" else 200  # a unit sees an event only once it is sent to it
    assert client.get(reverse("event_detail", args=[event.code])).status_code == expected


def test_it_sends_residents_to_the_portal(client, world):
    event = report(world, by=world.resident)
    client.force_login(world.resident)
    for url in [reverse(n) for n in STAFF_PAGES] + [reverse("event_detail", args=[event.code])]:
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, "/portal/"), url


def test_it_refuses_systems_the_workbench(client, world):
    client.force_login(world.system)
    assert client.get(reverse("home")).status_code == 403


def test_it_asks_anonymous_visitors_to_log_in(client, world):
    response = client.get(reverse("event_list"))
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/events/")


def test_it_logs_staff_in_to_the_workbench(client, world):
    response = client.post(reverse("login"), {"username": "c1staff", "password": "pass-word-123"}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert response.status_code == 200
    assert response.wsgi_request.user == world.community_staff


def test_it_logs_out_with_a_post(client, world):
    client.force_login(world.community_staff)
    response = client.post(reverse("logout"))
    assert (response.status_code, response["Location"]) == (302, "/login/")
    assert client.get(reverse("home")).status_code == 302


def test_it_lists_the_to_do_of_a_community_desk(client, world):
    report(world)
    report(world, grid=world.g2)
    report(world, grid=world.g3)  # another community's desk
    client.force_login(world.community_staff)
    response = client.get(reverse("home"))
    sections = {s["key"]: s["count"] for s in response.context["sections"]}
    assert sections == {"to_accept": 2, "to_dispatch": 0, "extensions": 0, "to_verify": 0, "overdue": 0}
    html = response.content.decode()
    assert "待受理" in html and "待派遣" in html and "超期督办" in html
    assert 'href="/events/?todo=to_accept"' in html


def test_it_lists_the_to_do_of_a_handler(client, world):
    from .conftest import dispatched

    dispatched(world)
    client.force_login(world.handler)
    response = client.get(reverse("home"))
    assert {s["key"]: s["count"] for s in response.context["sections"]} == {"to_handle": 1, "overdue": 0}
    assert "待处置" in response.content.decode()


def test_it_hides_another_communitys_event(client, world):
    event = report(world)
    client.force_login(world.community_staff_c3)
    assert client.get(reverse("event_detail", args=[event.code])).status_code == 404
    response = client.post(reverse("event_act", args=[event.code, "accept"]), {})
    assert response.status_code == 404
    event.refresh_from_db()
    assert event.status == Status.REPORTED
    assert TimelineEntry.objects.filter(event=event).count() == 1


def test_it_shows_the_event_in_chinese(client, world):
    event = report(world, address="一路1号")
    client.force_login(world.community_staff)
    html = client.get(reverse("event_detail", args=[event.code])).content.decode()
    assert f'data-status="{Status.REPORTED}"' in html
    assert "一路1号" in html and "暴露垃圾" in html and "一网格" in html
    assert "时间线" in html and "上报" in html
