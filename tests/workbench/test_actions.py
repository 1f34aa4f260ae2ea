"""The action forms on the detail page: exactly the allowed ones, and each POST goes through events.actions."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from shequ.core.errors import DomainError
from shequ.events import actions
from shequ.events.models import EventPhoto, Stage, Status, TimelineEntry
from shequ.events.rules import allowed_actions

from .conftest import dispatched, png, report


def offered(client, event) -> list[str]:
    html = client.get(reverse("event_detail", args=[event.code])).content.decode()
    forms = re.findall(r'<form [^>]*data-action="([a-z_]+)"', html)
    buttons = re.findall(r'data-submit="([a-z_]+)"', html)
    assert [b for b in buttons if b != "logout"] == forms
    return forms


def post(client, event, action: str, data: dict | None = None):
    return client.post(reverse("event_act", args=[event.code, action]), data or {}, follow=True)


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def test_it_offers_a_desk_exactly_accept_and_reject(client, world):
    event = report(world)
    client.force_login(world.community_staff)
    assert offered(client, event) == ["accept", "reject"]


def test_it_offers_the_unit_exactly_its_actions(client, world):
    event = dispatched(world)
    client.force_login(world.handler)
    assert offered(client, event) == allowed_actions(world.handler, event)
    assert offered(client, event) == ["return", "escalate", "request_extension", "handle"]


def test_it_offers_nothing_to_a_grid_worker_on_a_new_event(client, world):
    event = report(world)
    client.force_login(world.grid_worker)
    assert offered(client, event) == []
    assert "当前没有需要您办理的操作" in client.get(reverse("event_detail", args=[event.code])).content.decode()


def test_it_asks_before_rejecting(client, world):
    event = report(world)
    client.force_login(world.community_staff)
    html = client.get(reverse("event_detail", args=[event.code])).content.decode()
    assert re.search(r'data-action="reject" data-confirm="[^"]+"', html)
    assert not re.search(r'data-action="accept" data-confirm', html)


def test_it_accepts_and_dispatches_to_the_suggested_unit(client, world):
    event = report(world, category=world.graffiti)  # the desk reclassifies it on accepting
    client.force_login(world.community_staff)
    response = post(client, event, "accept", {"category": world.litter.pk, "level": world.general.pk, "note": "属实"})
    assert response.redirect_chain == [(f"/events/{event.code}/", 302)]
    assert messages_of(response) == [("success", "已受理立案。")]
    event.refresh_from_db()
    assert (event.status, event.category, event.level) == (Status.ACCEPTED, world.litter, world.general)

    form = response.context["action_forms"][0]["form"]
    assert form.suggested == world.sanitation
    assert re.search(rf'<option value="{world.sanitation.pk}" selected>', response.content.decode())

    response = post(client, event, "dispatch", {"unit": world.sanitation.pk})
    assert messages_of(response) == [("success", "已派遣。")]
    event.refresh_from_db()
    assert (event.status, event.unit) == (Status.DISPATCHED, world.sanitation)
    assert list(TimelineEntry.objects.filter(event=event).values_list("action", flat=True)) == [
        "report",
        "accept",
        "dispatch",
    ]


def test_it_shows_a_refusal_and_changes_nothing(client, world):
    event = report(world)
    with pytest.raises(DomainError) as refused:
        actions.accept(event, by=world.grid_worker)
    client.force_login(world.grid_worker)
    response = post(client, event, "accept", {"category": world.litter.pk, "level": world.general.pk})
    assert response.status_code == 200
    assert messages_of(response) == [("error", refused.value.message)]
    event.refresh_from_db()
    assert event.status == Status.REPORTED
    assert TimelineEntry.objects.filter(event=event).count() == 1


def test_it_shows_a_missing_reason_and_changes_nothing(client, world):
    event = report(world)
    with pytest.raises(DomainError) as refused:
        actions.reject(event, by=world.community_staff, reason=" ")
    client.force_login(world.community_staff)
    response = post(client, event, "reject", {"reason": " "})
    assert messages_of(response) == [("error", refused.value.message)]
    event.refresh_from_db()
    assert (event.status, event.closed_at) == (Status.REPORTED, None)
    assert TimelineEntry.objects.filter(event=event).count() == 1


def test_it_shows_a_stale_form_as_a_wrong_state(client, world):
    event = report(world)
    actions.accept(event, by=world.community_staff)
    client.force_login(world.community_staff)
    response = post(client, event, "accept", {"level": world.general.pk})
    [(level, text)] = messages_of(response)
    assert level == "error" and text
    event.refresh_from_db()
    assert event.status == Status.ACCEPTED
    assert TimelineEntry.objects.filter(event=event).count() == 2


def test_it_rejects_a_bad_number_before_calling_the_action(client, world):
    event = dispatched(world)
    client.force_login(world.handler)
    response = post(client, event, "request_extension", {"hours": "很多", "reason": "材料未到"})
    [(level, text)] = messages_of(response)
    assert level == "error" and text.startswith("请修改表单：")
    event.refresh_from_db()
    assert (event.extension_hours, event.extension_reason) == (None, "")


def test_it_answers_an_unknown_action_with_404(client, world):
    event = report(world)
    client.force_login(world.community_staff)
    assert client.post(reverse("event_act", args=[event.code, "close"]), {}).status_code == 404
    assert client.get(reverse("event_act", args=[event.code, "accept"])).status_code == 405


def test_it_records_the_handling_with_photos(client, world):
    event = dispatched(world)
    client.force_login(world.handler)
    response = post(client, event, "handle", {"result": "已清运", "photos": [png("a.png"), png("b.png")]})
    assert messages_of(response) == [("success", "已办结，等待核查。")]
    event.refresh_from_db()
    assert (event.status, event.result, event.handled_by) == (Status.HANDLED, "已清运", world.handler)
    assert list(EventPhoto.objects.filter(event=event).values_list("stage", flat=True)) == [Stage.HANDLE, Stage.HANDLE]


def test_it_refuses_a_fake_photo_and_changes_nothing(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    event = dispatched(world)
    client.force_login(world.handler)
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = post(client, event, "handle", {"result": "已清运", "photos": [fake]})
    assert [level for level, _text in messages_of(response)] == ["error"]
    event.refresh_from_db()
    assert event.status == Status.DISPATCHED
    assert EventPhoto.objects.filter(event=event).count() == 0


def test_it_runs_extension_and_verification_through_the_forms(client, world):
    event = dispatched(world)
    client.force_login(world.handler)
    post(client, event, "request_extension", {"hours": "8", "reason": "需协调物业"})
    client.force_login(world.community_staff)
    assert "decide_extension" in offered(client, event)
    response = post(client, event, "decide_extension", {"approve": "0", "note": ""})
    assert [level for level, _text in messages_of(response)] == ["error"]
    event.refresh_from_db()
    assert event.extension_hours == 8
    response = post(client, event, "decide_extension", {"approve": "1"})
    assert messages_of(response) == [("success", "延期申请已审批。")]
    client.force_login(world.handler)
    post(client, event, "handle", {"result": "已清运"})
    client.force_login(world.grid_worker)
    response = post(client, event, "verify", {"passed": "1", "note": "现场已清理"})
    assert messages_of(response) == [("success", "核查结果已记录。")]
    event.refresh_from_db()
    assert event.status == Status.CLOSED
    html = response.content.decode()
    assert "同意延期" in html and "核查通过" in html and "处置办结" in html
