"""Answers: the link in the SMS (no login), the portal inbox and banner; 需要帮助 makes one urgent event."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from shequ.access.models import Role
from shequ.alerts import actions, answers, fanout
from shequ.alerts.context_processors import alert_banner
from shequ.alerts.models import Ack, Alert, Delivery
from shequ.events.models import Event
from tests.world import user

from .conftest import approved

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"


@pytest.fixture
def alert(world, staff_c1b, town) -> Alert:
    alert = approved(world.community_staff, staff_c1b, regions=[world.c1])
    fanout.fan_out(alert)
    return alert


def _link(alert: Alert, address: str) -> str:
    return "/alerts/ack/" + answers.ack_token(Delivery.objects.get(alert=alert, address=address, channel="sms")) + "/"


def _answers(alert: Alert, person) -> set[tuple[str, str, str]]:
    return set(Delivery.objects.filter(alert=alert, person=person).values_list("ack", "ack_channel", "status"))


def test_the_link_page_shows_the_alert_and_three_answers_without_login(client, alert, town):
    response = client.get(_link(alert, "13800000002"))
    assert response.status_code == 200
    html = response.content.decode()
    assert alert.headline in html
    for value, label in (("received", "收到"), ("safe", "已安全"), ("need_help", "需要帮助")):
        assert f'data-answer="{value}"' in html
        assert label in html


def test_answering_from_the_link_marks_every_row_of_that_resident(client, alert, town):
    response = client.post(_link(alert, "13800000001"), {"answer": "safe"})
    assert response.status_code == 302
    assert _answers(alert, town.reader) == {("safe", "link", "acknowledged")}
    # Others are untouched.
    assert _answers(alert, town.texter) == {("", "", "queued")}
    assert "已安全" in client.get(response["Location"]).content.decode()
    assert not Event.objects.exists()


def test_a_forged_or_mangled_token_is_404_and_changes_nothing(client, alert, town):
    good = _link(alert, "13800000002")
    signature = good.split("/")[3].split(":")[1]
    other = Delivery.objects.get(alert=alert, address="13800000004", channel="sms")
    forged = f"/alerts/ack/{answers.ack_token(other).split(':')[0]}:{signature}/"  # another row, this signature
    for url in (forged, "/alerts/ack/abc/", good[:-5] + "/"):
        assert client.get(url).status_code == 404
        assert client.post(url, {"answer": "safe"}).status_code == 404
    assert not Delivery.objects.exclude(ack="").exists()


def test_an_unknown_answer_is_refused_in_chinese(client, alert, town):
    response = client.post(_link(alert, "13800000002"), {"answer": "maybe"})
    assert response.status_code == 200
    assert "请选择" in response.content.decode()
    assert not Delivery.objects.exclude(ack="").exists()


def test_need_help_makes_one_urgent_event_at_the_dwelling(client, world, alert, town):
    link = _link(alert, "13800000002")
    client.post(link, {"answer": "need_help"})
    client.post(link, {"answer": "need_help"})  # pressed twice
    client.post(link, {"answer": "safe"})
    client.post(link, {"answer": "need_help"})  # and again after changing their mind
    event = Event.objects.get()
    assert (event.level.code, event.grid_id, event.status) == ("urgent", world.g1.pk, "reported")
    assert (event.lon, event.lat) == (town.b1.lon, town.b1.lat)
    assert alert.headline in event.description and town.texter.name in event.description
    assert (event.reporter_name, event.reporter_phone, event.reporter) == (town.texter.name, "13800000002", None)
    assert set(Delivery.objects.filter(alert=alert, person=town.texter).values_list("help_event", flat=True)) == {
        event.pk
    }


def test_the_inbox_lists_my_alerts_with_the_answers(client, world, alert, town):
    assert client.get("/alerts/inbox/").status_code == 302  # login first
    client.login(username="resident", password=PASSWORD)
    html = client.get("/alerts/inbox/").content.decode()
    assert f'data-alert="{alert.pk}"' in html
    assert 'data-answer="need_help"' in html
    response = client.post(f"/alerts/inbox/{alert.pk}/answer/", {"answer": "received"})
    assert response.status_code == 302
    assert _answers(alert, town.reader) == {("received", "portal", "acknowledged")}
    html = client.get("/alerts/inbox/").content.decode()
    assert 'data-answered="received"' in html
    assert 'data-answer="need_help"' not in html


def test_portal_need_help_reports_as_the_resident(client, world, alert, town):
    client.login(username="resident", password=PASSWORD)
    client.post(f"/alerts/inbox/{alert.pk}/answer/", {"answer": "need_help"})
    event = Event.objects.get()
    assert event.reporter == world.resident
    assert _answers(alert, town.reader) == {("need_help", "portal", "acknowledged")}


def test_a_resident_cannot_answer_an_alert_not_sent_to_them(client, world, alert, town):
    other = approved(
        world.community_staff_c3, user("c3staff2", Role.COMMUNITY_STAFF, region=world.c3), regions=[world.c3]
    )
    fanout.fan_out(other)
    client.login(username="resident", password=PASSWORD)
    assert client.post(f"/alerts/inbox/{other.pk}/answer/", {"answer": "safe"}).status_code == 404
    assert not Delivery.objects.exclude(ack="").exists()
    html = client.get("/alerts/inbox/").content.decode()
    assert f'data-alert="{other.pk}"' not in html


def test_a_resident_without_a_linked_record_sees_an_empty_inbox(client, world, alert):
    client.login(username="resident2", password=PASSWORD)
    response = client.get("/alerts/inbox/")
    assert response.status_code == 200
    assert "data-empty" in response.content.decode()


def _banner(user) -> str:
    request = RequestFactory().get("/portal/report/")
    request.user = user
    return render_to_string("alerts/_banner.html", alert_banner(request), request=request)


def test_the_banner_shows_the_newest_unanswered_alert_in_force(world, alert, town):
    html = _banner(world.resident)
    assert f'data-alert-banner="{alert.pk}"' in html and alert.headline in html
    assert f'action="/alerts/inbox/{alert.pk}/answer/"' in html
    assert 'name="next" value="/portal/report/"' in html
    answers.acknowledge(
        Delivery.objects.get(alert=alert, person=town.reader, channel="in_app"), answer=Ack.RECEIVED, channel="portal"
    )
    assert "data-alert-banner" not in _banner(world.resident)


def test_no_banner_for_staff_or_once_the_alert_is_cancelled(world, staff_c1b, alert, town):
    assert "data-alert-banner" not in _banner(world.community_staff)
    cancel = actions.submit(actions.cancel(alert, by=world.community_staff, reason="解除"), by=world.community_staff)
    actions.approve(cancel, by=staff_c1b)
    assert "data-alert-banner" not in _banner(world.resident)


def test_after_answering_in_the_banner_the_resident_returns_to_their_page(client, alert, town):
    client.login(username="resident", password=PASSWORD)
    response = client.post(f"/alerts/inbox/{alert.pk}/answer/", {"answer": "safe", "next": "/portal/me/"})
    assert response["Location"] == "/portal/me/"
    response = client.post(f"/alerts/inbox/{alert.pk}/answer/", {"answer": "safe", "next": "https://evil.example/"})
    assert response["Location"] == "/alerts/inbox/"
