"""The dashboard's charts come from the same rows as their tables and CSV exports; the board's figures and the
live stream's board events are scoped like every other read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from shequ.alerts import live
from shequ.assessment import boardlive, dashboards, rollups
from shequ.assessment.queries import Period, Scope

from .story import Story

pytestmark = pytest.mark.django_db


def recent(world) -> list[Story]:
    """Events of the last few days: three at one spot in G1 (a problem spot), one in G3 (another street)."""
    day = timezone.localdate() - timedelta(days=3)
    made = []
    for minute in (0, 10, 20):
        s = Story(world).report(f"{day} 10:{minute:02}").accept(f"{day} 11:{minute:02}")
        made.append(s.dispatch(f"{day} 14:{minute:02}"))
    made[0].handle(f"{day} 15:00").verify(f"{day} 16:00")
    made.append(Story(world, grid=world.g3).report(f"{day} 10:00"))
    rollups.fold()
    return made


def test_each_chart_has_rows_a_table_and_a_csv(world):
    recent(world)
    client = Client()
    client.force_login(world.community_staff)
    page = client.get("/assessment/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    for key in ("trend", "categories", "channels", "rates", "overdue", "spots"):
        assert f'data-chart-card="{key}"' in html and f'data-table="{key}"' in html
        csv = client.get(f"/assessment/dashboard/{key}.csv")
        assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    period = Period.last_days(30)
    charts = {c.key: c for c in dashboards.charts(world.community_staff, Scope(area=world.c1.code), period)}
    assert sum(row[1] for row in charts["trend"].rows) == 3  # G3 is not C1's
    assert charts["spots"].rows[0][1] == 3
    assert charts["categories"].rows == [["暴露垃圾", 3]]
    lines = client.get("/assessment/dashboard/trend.csv").content.decode("utf-8-sig").splitlines()
    assert len(lines) == 31 and lines[0] == "Day,Reported,Closed"
    assert sum(int(line.split(",")[1]) for line in lines[1:]) == 3
    heat = dashboards.heat(world.community_staff, Scope(area=world.c1.code), period)
    assert [cell[2] for cell in heat] == [3]


def test_the_board_shows_today_and_the_users_own_events(world):
    made = recent(world)
    today = timezone.localdate()
    Story(world).report(f"{today} 00:01")
    board = dashboards.board(world.community_staff, Scope(area=world.c1.code, label="一社区"))
    assert board["today"]["reported"] == 1
    assert board["today"]["open"] == 3 and len(board["events"]) == 4
    assert made[-1].event.code not in {e["code"] for e in board["events"]}
    client = Client()
    client.force_login(world.street_dispatcher_s2)
    codes = {e["code"] for e in client.get("/assessment/board.json").json()["events"]}
    assert codes == {made[-1].event.code}
    assert client.get("/assessment/board/").status_code == 200


def test_the_stream_tells_a_board_of_new_timeline_rows(world):
    after = boardlive.latest()
    request = RequestFactory().get("/alerts/stream/", {"board": "1", "board_after": str(after)})
    request.user = world.community_staff
    feed = live.Feed(request=request, after=None)
    assert feed.poll() == []
    mine = Story(world).report(f"{timezone.localdate()} 00:02")
    Story(world, grid=world.g3).report(f"{timezone.localdate()} 00:03")
    events = feed.poll()
    assert [(e.event, e.data, e.id) for e in events] == [("board", {"events": [mine.event.code]}, None)]
    assert feed.poll() == []
    plain = RequestFactory().get("/alerts/stream/")
    plain.user = world.community_staff
    Story(world).report(f"{timezone.localdate()} 00:04")
    assert live.Feed(request=plain, after=None).poll() == []
