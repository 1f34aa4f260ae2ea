"""The event list: filters, search, the to-do shortcut, pagination and the htmx partial."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

from shequ.core import clock
from shequ.events import actions
from shequ.events.models import Channel

from .conftest import dispatched, report

SHANGHAI = ZoneInfo("Asia/Shanghai")


def codes(response) -> list[str]:
    return [e.code for e in response.context["page"].object_list]


def test_it_lists_only_the_users_area(client, world):
    mine = report(world)
    report(world, grid=world.g3)
    client.force_login(world.community_staff)
    response = client.get(reverse("event_list"))
    assert codes(response) == [mine.code]
    area_choices = [code for code, _label in response.context["form"].fields["area"].choices]
    assert area_choices == ["", world.c1.code, world.g1.code, world.g2.code]


def test_it_filters_by_status_category_area_channel_and_search(client, world):
    litter_g1 = report(world, description="楼道堆放杂物")
    graffiti_g2 = report(world, grid=world.g2, category=world.graffiti, channel=Channel.RESIDENT, by=world.resident)
    accepted = actions.accept(report(world, description="井盖破损", address="二路8号"), by=world.community_staff)
    client.force_login(world.community_staff)

    def listed(**params) -> list[str]:
        return codes(client.get(reverse("event_list"), params))

    assert listed(status="accepted") == [accepted.code]
    assert listed(status="open") == [accepted.code, graffiti_g2.code, litter_g1.code]
    assert listed(category=world.graffiti.code) == [graffiti_g2.code]
    assert listed(category=world.group_env.code) == [accepted.code, graffiti_g2.code, litter_g1.code]
    assert listed(area=world.g2.code) == [graffiti_g2.code]
    assert listed(channel=Channel.RESIDENT) == [graffiti_g2.code]
    assert listed(q="杂物") == [litter_g1.code]
    assert listed(q="二路") == [accepted.code]
    assert listed(q=accepted.code) == [accepted.code]
    # An area outside the user's scope is not a choice: ignored, never a way round the scope.
    assert listed(area=world.g3.code) == [accepted.code, graffiti_g2.code, litter_g1.code]


def test_it_filters_by_report_date_in_beijing_time(client, world):
    with clock.frozen(datetime(2025, 3, 3, 23, 30, tzinfo=SHANGHAI)):
        late_monday = report(world)
    with clock.frozen(datetime(2025, 3, 4, 0, 30, tzinfo=SHANGHAI)):
        early_tuesday = report(world)
    client.force_login(world.community_staff)
    response = client.get(reverse("event_list"), {"date_from": "2025-03-04"})
    assert codes(response) == [early_tuesday.code]
    response = client.get(reverse("event_list"), {"date_to": "2025-03-03"})
    assert codes(response) == [late_monday.code]
    assert "2025-03-03 23:30" in response.content.decode()


def test_it_filters_overdue_events(client, world):
    late = dispatched(world)
    on_time = dispatched(world)
    assert actions.mark_overdue(now=late.deadline.replace(year=late.deadline.year + 1)) == 2
    fresh = dispatched(world)
    client.force_login(world.community_staff)
    assert codes(client.get(reverse("event_list"), {"overdue": "1"})) == [on_time.code, late.code]
    assert codes(client.get(reverse("event_list"), {"overdue": "0"})) == [fresh.code]


def test_it_opens_a_to_do_section_as_a_list(client, world):
    waiting = report(world)
    actions.accept(report(world), by=world.community_staff)
    report(world, grid=world.g4)  # C2's desk, inside the street dispatcher's area only
    client.force_login(world.community_staff)
    response = client.get(reverse("event_list"), {"todo": "to_accept"})
    assert codes(response) == [waiting.code]
    assert "待办：待受理" in response.content.decode()


def test_it_pages_by_25_with_the_total(client, world):
    made = [report(world, description=f"第{i}件") for i in range(27)]
    client.force_login(world.community_staff)
    first = client.get(reverse("event_list"), {"status": "reported"})
    assert (first.context["page"].paginator.count, len(codes(first))) == (27, 25)
    assert 'data-total="27"' in first.content.decode()
    assert "?status=reported&amp;page=2" in first.content.decode()
    second = client.get(reverse("event_list"), {"status": "reported", "page": "2"})
    assert codes(second) == [made[1].code, made[0].code]
    assert codes(client.get(reverse("event_list"), {"page": "99"})) == codes(second)


def test_it_swaps_only_the_results_for_htmx(client, world):
    event = report(world)
    client.force_login(world.community_staff)
    response = client.get(reverse("event_list"), {"q": event.code}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.templates[0].name == "workbench/_event_results.html"
    assert "<html" not in html and f'data-event="{event.code}"' in html
    restore = client.get(reverse("event_list"), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.content.decode()


def test_it_says_when_nothing_matches(client, world):
    report(world)
    client.force_login(world.community_staff)
    response = client.get(reverse("event_list"), {"q": "不存在的内容"})
    assert codes(response) == []
    assert "没有符合条件的事件" in response.content.decode()
