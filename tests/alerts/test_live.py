"""Live push to open pages: the server-sent events stream (ids, resume, banner as it stands, heartbeats, lifetime)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from shequ.alerts import actions, answers, fanout, live
from shequ.alerts.models import Ack, Delivery, DeliveryChannel

from .conftest import approved

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_round(settings):
    # The stream ends after one poll, so a test reads the whole response.
    settings.SHEQU_ALERT_STREAM_SECONDS = 0
    settings.SHEQU_ALERT_STREAM_POLL = 0


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _events(response) -> list[dict]:
    """Parse a text/event-stream body into its events (comments and retry lines kept apart)."""
    assert response["Content-Type"].startswith("text/event-stream")
    body = b"".join(response.streaming_content).decode()
    events = []
    for block in body.split("\n\n"):
        fields: dict = {}
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            if name == "data":
                fields["data"] = json.loads(value)
            elif name:
                fields[name] = value
        if fields:
            events.append(fields)
    return events


def _out(world, staff_c1b, **kwargs):
    alert = approved(world.community_staff, staff_c1b, regions=[world.c1], **kwargs)
    fanout.fan_out(alert)
    return alert


def _in_app(alert, person) -> Delivery:
    return Delivery.objects.get(alert=alert, person=person, channel=DeliveryChannel.IN_APP)


def test_an_open_page_gets_the_new_alert_with_its_id_and_banner(world, staff_c1b, town):
    client = _client(world.resident)
    page = client.get("/portal/me/").content.decode()
    after = re.search(r'data-stream="/alerts/stream/\?after=(\d+)"', page).group(1)
    assert "data-banner-slot" in page
    alert = _out(world, staff_c1b)

    events = _events(client.get(f"/alerts/stream/?after={after}"))
    assert events[0] == {"retry": str(live.RETRY_MS)}
    (event,) = [e for e in events if e.get("event") == "alert"]
    assert event["id"] == str(_in_app(alert, town.reader).pk)
    assert event["data"]["alert"] == alert.pk and event["data"]["headline"] == alert.headline
    banner = event["data"]["banner"]
    assert f'data-alert-banner="{alert.pk}"' in banner
    assert f'action="/alerts/inbox/{alert.pk}/answer/"' in banner and "csrfmiddlewaretoken" in banner


def test_it_resumes_after_the_last_event_id(world, staff_c1b, town):
    client = _client(world.resident)
    first = _out(world, staff_c1b)
    seen = _in_app(first, town.reader).pk
    assert [e for e in _events(client.get("/alerts/stream/", HTTP_LAST_EVENT_ID=str(seen))) if "event" in e] == []

    second = _out(world, staff_c1b, template="rainstorm")
    # Last-Event-ID (the browser reconnecting) wins over the page's ?after=.
    events = _events(client.get("/alerts/stream/?after=0", HTTP_LAST_EVENT_ID=str(seen)))
    assert [(e["event"], e["data"]["alert"]) for e in events if "event" in e] == [("alert", second.pk)]
    # Without either the stream starts from now: what the page already showed is not sent again.
    assert [e for e in _events(client.get("/alerts/stream/")) if "event" in e] == []


def test_a_cancel_takes_the_banner_away(world, staff_c1b, town):
    client = _client(world.resident)
    alert = _out(world, staff_c1b)
    after = _in_app(alert, town.reader).pk
    cancel = actions.cancel(alert, by=world.community_staff, reason="台风转向")
    actions.approve(actions.submit(cancel, by=world.community_staff), by=staff_c1b)
    fanout.fan_out(cancel)

    (event,) = [e for e in _events(client.get(f"/alerts/stream/?after={after}")) if "event" in e]
    assert event["data"]["cancel"] is True and event["data"]["alert"] == cancel.pk
    assert "data-alert-banner=" not in event["data"]["banner"]


def test_an_answer_given_elsewhere_updates_the_banner_at_the_next_check(world, staff_c1b, town, rf):
    alert = _out(world, staff_c1b)
    request = rf.get("/alerts/stream/")
    request.user = world.resident
    feed = live.Feed(request=request, after=_in_app(alert, town.reader).pk)
    assert feed.poll() == [] and feed.banner == alert.pk  # the page shows the banner
    # The resident answers from the SMS link meanwhile.
    answers.acknowledge(_in_app(alert, town.reader), answer=Ack.SAFE, channel="link")
    assert feed.poll() == []  # between checks: one cheap query a round
    (event,) = feed.poll(recheck=True)
    assert (event.event, event.id) == ("banner", None)
    assert "data-alert-banner=" not in event.data["banner"]
    assert feed.poll(recheck=True) == []  # told once


def test_staff_hear_of_alerts_out_in_their_area_only(world, staff_c1b, town):
    mine, other = _client(world.street_dispatcher), _client(world.community_staff_c3)
    after = live.cursor_for(world.street_dispatcher)
    alert = _out(world, staff_c1b)

    (event,) = [e for e in _events(mine.get(f"/alerts/stream/?after={after}")) if "event" in e]
    assert event["event"] == "approved" and event["data"]["alert"] == alert.pk
    assert event["data"]["board"] == f"/alerts/{alert.pk}/board/"
    assert alert.headline in event["data"]["text"]
    assert [e for e in _events(other.get(f"/alerts/stream/?after={after}")) if "event" in e] == []


def test_the_staff_pages_load_the_stream_script(world):
    page = _client(world.community_staff).get("/alerts/").content.decode()
    assert re.search(r'<script src="[^"]*alerts/live\.js" defer data-stream="/alerts/stream/\?after=\d+"', page)


def test_signed_out_is_refused_without_a_redirect():
    response = Client().get("/alerts/stream/")
    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"


class _Clock:
    """Time for the stream's loop: ``sleep`` moves it on."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_heartbeats_fill_the_silence_and_the_stream_ends_after_its_lifetime(world, rf):
    request = rf.get("/alerts/stream/")
    request.user = world.resident
    clock = _Clock()
    feed = live.Feed(request=request, after=None)
    chunks = list(live.stream(feed, poll=2, heartbeat=15, lifetime=61, sleep=clock.sleep, monotonic=clock.monotonic))
    assert chunks[0] == f"retry: {live.RETRY_MS}\n\n"
    assert chunks[1:] == [": ping\n\n"] * 3  # at 16, 32 and 48 seconds
    assert clock.now == 62  # one poll at or after the lifetime, then the end: EventSource reconnects
