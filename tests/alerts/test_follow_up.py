"""The follow-up list (vulnerable, unanswered after the window, scoped to the worker's area) and the board."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shequ.alerts import answers, fanout, followup, sending
from shequ.alerts.models import Ack, Alert, AlertEntry, Delivery, DeliveryStatus, FollowUp
from shequ.core import clock
from shequ.events.models import Event

from .conftest import approved

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"


@pytest.fixture
def alert(world, staff_c1b, town) -> Alert:
    alert = approved(world.community_staff, staff_c1b, regions=[world.c1])
    fanout.fan_out(alert)
    return alert


def _later(alert: Alert, minutes: int = 31):
    return clock.frozen(alert.approved_at + timedelta(minutes=minutes))


def _names(alert: Alert, user) -> list[str]:
    return [row.person.name for row in followup.follow_up_rows(alert, user=user)]


def _answer(alert: Alert, person, answer: str = Ack.SAFE) -> None:
    row = Delivery.objects.filter(alert=alert, person=person).first()
    answers.acknowledge(row, answer=answer, channel="link")


def test_the_list_is_empty_until_the_window_closes(world, alert, town, client):
    assert _names(alert, world.grid_worker) == []
    client.login(username=world.grid_worker.username, password=PASSWORD)
    assert "data-not-open" in client.get(f"/alerts/{alert.pk}/follow-up/").content.decode()
    with _later(alert, 29):
        assert _names(alert, world.grid_worker) == []


def test_the_grid_worker_sees_the_vulnerable_of_their_grid_who_did_not_answer(world, alert, town):
    with _later(alert):
        # Not the texter (not vulnerable), not east (G2); silent has no phone and no account but is listed.
        assert sorted(_names(alert, world.grid_worker)) == sorted([town.reader.name, town.silent.name])
        assert sorted(_names(alert, world.community_staff)) == sorted(
            [town.reader.name, town.silent.name, town.east.name]
        )
        assert _names(alert, world.grid_worker_g2) == [town.east.name]
        assert _names(alert, world.community_staff_c3) == []


def test_an_answer_within_the_window_takes_them_off_a_late_one_marks_them_done(world, alert, town):
    with _later(alert, 5):
        _answer(alert, town.reader)
    with _later(alert, 40):
        _answer(alert, town.east)
    with _later(alert, 41):
        assert _names(alert, world.grid_worker) == [town.silent.name]
        [row] = followup.follow_up_rows(alert, user=world.grid_worker_g2)
        assert (row.person.name, row.done) == (town.east.name, True)


def test_the_window_is_a_setting(world, alert, town, settings):
    settings.SHEQU_ALERT_FOLLOWUP_MINUTES = 10
    with _later(alert, 11):
        assert len(_names(alert, world.grid_worker)) == 2


def test_the_page_lists_them_with_their_tags_and_phone(world, alert, town, client):
    client.login(username=world.grid_worker.username, password=PASSWORD)
    with _later(alert):
        html = client.get(f"/alerts/{alert.pk}/follow-up/").content.decode()
    assert f'data-person="{town.reader.pk}"' in html and f'data-person="{town.silent.pk}"' in html
    assert f'data-person="{town.east.pk}"' not in html
    assert "独居老人" in html and "残疾人" in html
    assert 'href="tel:13800000001"' in html
    assert 'data-todo="2"' in html


def test_recording_outcomes_one_timeline_row_each(world, alert, town, client):
    client.login(username=world.grid_worker.username, password=PASSWORD)
    url = f"/alerts/{alert.pk}/follow-up/"
    with _later(alert):
        response = client.post(url, {"person": town.silent.pk, "outcome": "not_reached", "note": "敲门无人"})
        assert response.status_code == 302
        assert not Event.objects.exists()
        client.post(url, {"person": town.reader.pk, "outcome": "reached_safe"})
        client.post(url, {"person": town.silent.pk, "outcome": "reached_help", "note": "行动不便，需转移"})
        html = client.get(url).content.decode()
    assert list(FollowUp.objects.values_list("person_id", "outcome", "by_id")) == [
        (town.silent.pk, "not_reached", world.grid_worker.pk),
        (town.reader.pk, "reached_safe", world.grid_worker.pk),
        (town.silent.pk, "reached_help", world.grid_worker.pk),
    ]
    assert AlertEntry.objects.filter(alert=alert, action="follow_up").count() == 3
    assert set(Delivery.objects.filter(alert=alert, person=town.reader).values_list("ack", "ack_channel")) == {
        ("safe", "follow_up")
    }
    event = Event.objects.get()
    assert "行动不便" in event.description and event.level.code == "urgent" and event.grid_id == world.g1.pk
    assert 'data-todo="0"' in html


def test_a_worker_cannot_record_outside_their_grid_or_before_the_window(world, alert, town, client, settings):
    settings.SHEQU_SESSION_IDLE_SECONDS = 24 * 3600  # the clock jumps past the window; the session must not idle out
    client.login(username=world.grid_worker.username, password=PASSWORD)
    url = f"/alerts/{alert.pk}/follow-up/"
    response = client.post(url, {"person": town.silent.pk, "outcome": "reached_safe"}, follow=True)
    assert "尚未开放" in response.content.decode()
    with _later(alert):
        assert client.post(url, {"person": town.east.pk, "outcome": "reached_safe"}).status_code == 404
        response = client.post(url, {"person": town.texter.pk, "outcome": "reached_safe"}, follow=True)
        assert "不在" in response.content.decode()  # not vulnerable: not on the list
        response = client.post(url, {"person": town.silent.pk, "outcome": "perhaps"}, follow=True)
        assert "请选择" in response.content.decode()
    assert not FollowUp.objects.exists()
    assert not Delivery.objects.exclude(ack="").exists()


def test_an_outsider_gets_404_and_a_resident_the_portal(world, alert, client):
    client.login(username=world.community_staff_c3.username, password=PASSWORD)
    assert client.get(f"/alerts/{alert.pk}/follow-up/").status_code == 404
    assert client.get(f"/alerts/{alert.pk}/board/").status_code == 404
    client.login(username="resident", password=PASSWORD)
    assert client.get(f"/alerts/{alert.pk}/board/")["Location"] == "/portal/"


def _counts(alert: Alert, user) -> dict[str, tuple[int, int, int, int, int]]:
    grids, total = followup.board(alert, user=user)
    return {
        g.code or "total": (g.people, g.reached, g.acknowledged, g.need_help, g.not_reached) for g in [*grids, total]
    }


def test_the_board_counts_residents_per_grid(world, alert, town, settings):
    g1, g2 = world.g1.code, world.g2.code
    # Before sending: only the portal copy reached anyone.
    assert _counts(alert, world.community_staff) == {g1: (2, 1, 0, 0, 1), g2: (1, 0, 0, 0, 1), "total": (3, 1, 0, 0, 2)}
    Delivery.objects.filter(alert=alert, person=town.east).update(status=DeliveryStatus.FAILED)
    sending.send_due()
    _answer(alert, town.texter, Ack.NEED_HELP)
    _answer(alert, town.reader, Ack.RECEIVED)
    assert _counts(alert, world.community_staff) == {g1: (2, 2, 2, 1, 0), g2: (1, 0, 0, 0, 1), "total": (3, 2, 2, 1, 1)}
    # A grid worker sees their grid only.
    assert _counts(alert, world.grid_worker) == {g1: (2, 2, 2, 1, 0), "total": (2, 2, 2, 1, 0)}


def test_the_board_page_polls_with_htmx(world, alert, town, client):
    client.login(username=world.community_staff.username, password=PASSWORD)
    html = client.get(f"/alerts/{alert.pk}/board/").content.decode()
    assert 'hx-trigger="every 5s"' in html and "<html" in html
    assert f'data-grid="{world.g1.code}"' in html
    partial = client.get(f"/alerts/{alert.pk}/board/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and f'data-grid="{world.g2.code}"' in partial
