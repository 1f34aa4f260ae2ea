"""Every action of the loop: its success path and each refusal, and that a refusal changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from shequ.access.models import Role, User
from shequ.core import clock, worktime
from shequ.core.errors import DomainError, InvalidInput, InvalidTransition, PermissionDenied
from shequ.events import actions
from shequ.events.models import Channel, Event, EventPhoto, Stage, Status, TimelineEntry
from shequ.events.photos import MAX_PHOTOS
from shequ.events.rules import allowed_actions

from .loop import (
    accepted,
    actions_of,
    closed,
    dispatched,
    handled,
    jpeg_bytes,
    last_entry,
    photo,
    png_bytes,
    reported,
    snapshot,
    webp_bytes,
)

TZ = ZoneInfo("Asia/Shanghai")
# A plain Tuesday morning, far from any holiday.
TUESDAY = datetime(2025, 6, 10, 10, 0, tzinfo=TZ)


def refused(event: Event, error: type[DomainError], call: Callable[[], object]) -> DomainError:
    """The call raises ``error`` and the event, its timeline and its photos are as they were."""
    before = snapshot(event)
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error
    assert snapshot(event) == before
    return info.value


# --- report --------------------------------------------------------------------------------


def test_it_reports_into_the_grid_and_the_community_desk(world):
    with clock.frozen(TUESDAY):
        event = reported(world, photos=[photo("a.png"), photo("b.jpg", jpeg_bytes(), "image/jpeg")])
    assert (event.grid, event.community, event.street, event.desk) == (world.g1, world.c1, world.s1, world.c1)
    assert event.area_code == world.g1.code and event.status == Status.REPORTED
    assert event.code == "440304-20250610-00001" and event.reported_at == TUESDAY
    assert event.reporter == world.resident and event.reporter_name == "resident"
    assert event.level == world.general  # the category's default level
    entry = TimelineEntry.objects.get(event=event)
    assert (entry.action, entry.actor, entry.from_status, entry.to_status, entry.at) == (
        "report",
        world.resident,
        "",
        Status.REPORTED,
        TUESDAY,
    )
    photos = list(EventPhoto.objects.filter(event=event).values_list("stage", "content_type", "size"))
    assert photos == [(Stage.REPORT, "image/png", len(png_bytes())), (Stage.REPORT, "image/jpeg", len(jpeg_bytes()))]


def test_it_numbers_events_per_day(world):
    with clock.frozen(TUESDAY):
        codes = [reported(world).code for _ in range(2)]
    assert codes == ["440304-20250610-00001", "440304-20250610-00002"]


def test_it_reports_into_a_community_without_coordinates(world):
    event = actions.report(
        by=world.community_staff, channel=Channel.GRID_WORKER, description="井盖缺失", region=world.c2
    )
    assert (event.grid, event.community, event.street, event.area_code) == (None, world.c2, world.s1, world.c2.code)


def test_it_returns_the_same_event_for_a_repeated_source_ref(world):
    first = reported(world, by=world.system, channel=Channel.HOTLINE, source_ref="12345-0001")
    again = reported(world, by=world.system, channel=Channel.HOTLINE, source_ref="12345-0001", description="重发")
    assert again.pk == first.pk
    assert Event.objects.count() == 1 and TimelineEntry.objects.count() == 1
    other_channel = reported(world, by=world.system, channel=Channel.DEVICE, source_ref="12345-0001")
    assert other_channel.pk != first.pk


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"description": "   "}, "invalid_input"),
        ({"description": "长" * (actions.MAX_DESCRIPTION + 1)}, "invalid_input"),
        ({"channel": "fax"}, "invalid_input"),
        ({"lon": 116.4, "lat": 39.9}, "outside_area"),
        ({"crs": "EPSG:9999"}, "bad_crs"),
        ({"region": None, "lon": None, "lat": None}, "location_required"),
    ],
)
def test_it_refuses_a_bad_report_and_creates_nothing(world, kwargs, code):
    lon, lat = world.point_in(world.g1)
    args = {"by": world.resident, "channel": Channel.RESIDENT, "description": "垃圾", "lon": lon, "lat": lat}
    with pytest.raises(InvalidInput) as info:
        actions.report(**(args | kwargs))
    assert info.value.code == code
    assert (Event.objects.count(), TimelineEntry.objects.count(), EventPhoto.objects.count()) == (0, 0, 0)


def test_it_refuses_a_group_category(world):
    with pytest.raises(InvalidInput) as info:
        reported(world, category=world.group_env)
    assert info.value.code == "category_not_leaf" and Event.objects.count() == 0


def test_it_reads_the_photo_type_from_the_bytes_not_the_name(world):
    event = reported(world, photos=[photo("x.jpg", webp_bytes(), "image/jpeg"), photo("y.bin", png_bytes(), "")])
    assert list(event.photos.values_list("content_type", flat=True)) == ["image/webp", "image/png"]


@pytest.mark.parametrize(
    "files, code",
    [
        ([photo("fake.jpg", b"<html>not an image</html>", "image/jpeg")], "photo_type"),
        ([photo("empty.png", b"", "image/png")], "photo_type"),
        ([photo("riff.webp", b"RIFF\x00\x00\x00\x00WAVEfmt ", "image/webp")], "photo_type"),
        ([photo(f"{i}.png") for i in range(MAX_PHOTOS + 1)], "photo_count"),
    ],
)
def test_it_refuses_bad_photos_and_creates_nothing(world, files, code):
    with pytest.raises(InvalidInput) as info:
        reported(world, photos=files)
    assert info.value.code == code
    assert (Event.objects.count(), EventPhoto.objects.count()) == (0, 0)


def test_it_refuses_a_photo_over_the_size_limit(world, settings):
    settings.SHEQU_PHOTO_MAX_BYTES = len(png_bytes()) - 1
    with pytest.raises(InvalidInput) as info:
        reported(world, photos=[photo("big.png")])
    assert info.value.code == "photo_too_large" and Event.objects.count() == 0


def test_it_refuses_a_type_the_settings_do_not_allow(world, settings):
    settings.SHEQU_PHOTO_TYPES = ["image/jpeg"]
    with pytest.raises(InvalidInput) as info:
        reported(world, photos=[photo("a.png")])
    assert info.value.code == "photo_type" and Event.objects.count() == 0


# --- accept / reject -------------------------------------------------------------------------


def test_it_accepts_at_the_community_desk(world):
    event = actions.accept(reported(world), by=world.community_staff, note="属实", level=world.urgent)
    assert (event.status, event.level) == (Status.ACCEPTED, world.urgent)
    entry = last_entry(event)
    assert (entry.action, entry.actor, entry.from_status, entry.to_status, entry.note) == (
        "accept",
        world.community_staff,
        Status.REPORTED,
        Status.ACCEPTED,
        "属实",
    )


def test_it_lets_a_higher_desk_accept_and_sets_the_category(world):
    event = reported(world, category=None)
    event = actions.accept(event, by=world.street_dispatcher, category=world.graffiti)
    assert (event.status, event.category) == (Status.ACCEPTED, world.graffiti)


def test_it_refuses_to_accept_without_a_category(world):
    event = reported(world, category=None)
    assert refused(event, InvalidInput, lambda: actions.accept(event, by=world.community_staff)).code == (
        "category_required"
    )
    refused(event, InvalidInput, lambda: actions.accept(event, by=world.community_staff, category=world.group_env))


@pytest.mark.parametrize(
    "persona",
    ["community_staff_c3", "street_dispatcher_s2", "grid_worker", "resident", "handler", "system"],
)
def test_it_refuses_accept_and_reject_by_anyone_but_the_desk(world, persona):
    event = reported(world)
    who = getattr(world, persona)
    refused(event, PermissionDenied, lambda: actions.accept(event, by=who))
    refused(event, PermissionDenied, lambda: actions.reject(event, by=who, reason="重复"))


def test_it_refuses_accept_and_reject_once_accepted(world):
    event = accepted(world)
    refused(event, InvalidTransition, lambda: actions.accept(event, by=world.community_staff))
    refused(event, InvalidTransition, lambda: actions.reject(event, by=world.community_staff, reason="重复"))


def test_it_rejects_with_a_reason_and_closes(world):
    with clock.frozen(TUESDAY):
        event = actions.reject(reported(world), by=world.community_staff, reason="  不属于受理范围 ")
    assert (event.status, event.closed_at) == (Status.REJECTED, TUESDAY)
    assert last_entry(event).note == "不属于受理范围"
    refused(event, InvalidTransition, lambda: actions.accept(event, by=world.community_staff))


def test_it_refuses_to_reject_without_a_reason(world):
    event = reported(world)
    refused(event, InvalidInput, lambda: actions.reject(event, by=world.community_staff, reason="  "))


# --- dispatch ------------------------------------------------------------------------------


def test_it_dispatches_by_the_responsibility_list_with_a_working_time_deadline(world):
    event = accepted(world)
    with clock.frozen(TUESDAY):
        event = actions.dispatch(event, by=world.community_staff, note="请尽快")
    assert (event.status, event.unit, event.dispatched_at) == (Status.DISPATCHED, world.sanitation, TUESDAY)
    assert event.deadline == datetime(2025, 6, 12, 10, 0, tzinfo=TZ)  # litter, general: 2 working days
    assert event.overdue is False
    entry = last_entry(event)
    assert (entry.action, entry.unit, entry.from_status, entry.to_status) == (
        "dispatch",
        world.sanitation,
        Status.ACCEPTED,
        Status.DISPATCHED,
    )


def test_it_dispatches_an_urgent_event_in_working_hours(world):
    event = accepted(world, category=world.graffiti, level=world.urgent)
    with clock.frozen(datetime(2025, 6, 10, 11, 0, tzinfo=TZ)):
        event = actions.dispatch(event, by=world.community_staff)
    # Graffiti has no duty of its own: group 01 at street S1 is the most specific region.
    assert event.unit == world.city_mgmt
    # Group 01 urgent: 2 working hours from 11:00 -> 12:00, lunch, 14:00 -> 15:00.
    assert event.deadline == datetime(2025, 6, 10, 15, 0, tzinfo=TZ)


def test_it_passes_an_event_without_a_duty_to_the_street_desk(world):
    event = accepted(world, category=world.noise)
    event = actions.dispatch(event, by=world.community_staff)
    assert (event.status, event.desk, event.unit, event.deadline) == (Status.ACCEPTED, world.s1, None, None)
    assert actions_of(event)[-1] == "to_street_desk"
    # The community no longer holds it; the street must choose a unit.
    refused(event, PermissionDenied, lambda: actions.dispatch(event, by=world.community_staff))
    error = refused(event, InvalidInput, lambda: actions.dispatch(event, by=world.street_dispatcher))
    assert error.code == "unit_required"
    event = actions.dispatch(event, by=world.street_dispatcher, unit=world.city_mgmt)
    assert (event.status, event.unit) == (Status.DISPATCHED, world.city_mgmt)


def test_it_refuses_an_inactive_unit(world):
    world.city_mgmt.active = False
    world.city_mgmt.save()
    event = accepted(world)
    refused(event, InvalidInput, lambda: actions.dispatch(event, by=world.community_staff, unit=world.city_mgmt))


def test_it_refuses_dispatch_in_the_wrong_status_or_by_the_wrong_person(world):
    event = reported(world)
    refused(event, InvalidTransition, lambda: actions.dispatch(event, by=world.community_staff))
    event = accepted(world)
    for who in (world.community_staff_c3, world.handler, world.grid_worker, world.resident):
        refused(event, PermissionDenied, lambda who=who: actions.dispatch(event, by=who))
    event = dispatched(world)
    refused(event, InvalidTransition, lambda: actions.dispatch(event, by=world.community_staff))


# --- the unit: return, extension, escalate, handle ----------------------------------------------


def test_it_returns_to_the_desk_with_a_reason(world):
    event = actions.return_(dispatched(world), by=world.handler, reason="不属于本单位职责")
    assert (event.status, event.unit, event.deadline, event.return_count) == (Status.ACCEPTED, None, None, 1)
    entry = last_entry(event)
    assert (entry.action, entry.unit, entry.note) == ("return", world.sanitation, "不属于本单位职责")
    event = actions.dispatch(event, by=world.community_staff, unit=world.city_mgmt)
    assert (event.status, event.unit, event.return_count) == (Status.DISPATCHED, world.city_mgmt, 1)


def test_it_refuses_a_return_without_reason_by_another_unit_or_in_the_wrong_status(world):
    event = dispatched(world)
    refused(event, InvalidInput, lambda: actions.return_(event, by=world.handler, reason=""))
    for who in (world.handler_city, world.community_staff, world.admin):
        refused(event, PermissionDenied, lambda who=who: actions.return_(event, by=who, reason="不归我们"))
    event = accepted(world)
    refused(event, InvalidTransition, lambda: actions.return_(event, by=world.handler, reason="不归我们"))


def test_it_moves_the_deadline_by_an_approved_extension(world):
    with clock.frozen(TUESDAY):
        event = dispatched(world)
        event = actions.request_extension(event, by=world.handler, hours=7, reason="需要采购设备")
        assert (event.extension_hours, event.extension_reason) == (7.0, "需要采购设备")
        assert event.deadline == datetime(2025, 6, 12, 10, 0, tzinfo=TZ)
        event = actions.decide_extension(event, by=world.community_staff, approve=True)
    # 7 working hours after Thursday 10:00: 2 before lunch, 4 after, 1 on Friday morning.
    assert event.deadline == datetime(2025, 6, 13, 10, 0, tzinfo=TZ)
    assert (event.extension_hours, event.extension_reason, event.status) == (None, "", Status.DISPATCHED)
    assert actions_of(event)[-2:] == ["request_extension", "extension_approved"]


def test_it_keeps_the_deadline_when_an_extension_is_refused(world):
    event = actions.request_extension(dispatched(world), by=world.handler, hours=8, reason="人手不足")
    deadline = event.deadline
    refused(event, InvalidInput, lambda: actions.decide_extension(event, by=world.community_staff, approve=False))
    event = actions.decide_extension(event, by=world.community_staff, approve=False, note="时限内可完成")
    assert (event.deadline, event.extension_hours) == (deadline, None)
    assert last_entry(event).action == "extension_refused"
    # Decided: nothing is pending any more, and the unit may ask again.
    refused(event, PermissionDenied, lambda: actions.decide_extension(event, by=world.community_staff, approve=True))
    assert actions.request_extension(event, by=world.handler, hours=4, reason="再申请").extension_hours == 4.0


def test_it_refuses_bad_extension_requests(world):
    event = dispatched(world)
    refused(event, InvalidInput, lambda: actions.request_extension(event, by=world.handler, hours=8, reason=""))
    for hours in (0, 0.5, 721):
        refused(
            event, InvalidInput, lambda h=hours: actions.request_extension(event, by=world.handler, hours=h, reason="x")
        )
    refused(
        event, PermissionDenied, lambda: actions.request_extension(event, by=world.handler_city, hours=8, reason="x")
    )
    refused(event, PermissionDenied, lambda: actions.decide_extension(event, by=world.community_staff, approve=True))
    event = actions.request_extension(event, by=world.handler, hours=8, reason="x")
    refused(event, PermissionDenied, lambda: actions.request_extension(event, by=world.handler, hours=4, reason="再要"))
    refused(event, PermissionDenied, lambda: actions.decide_extension(event, by=world.handler, approve=True))
    refused(event, PermissionDenied, lambda: actions.decide_extension(event, by=world.community_staff_c3, approve=True))


def test_it_escalates_from_community_to_street_to_district_and_no_further(world):
    event = actions.escalate(dispatched(world), by=world.handler, reason="需街道协调")
    assert (event.status, event.desk, event.unit, event.deadline) == (Status.ACCEPTED, world.s1, None, None)
    assert last_entry(event).unit == world.sanitation
    # The community desk no longer holds it.
    refused(event, PermissionDenied, lambda: actions.escalate(event, by=world.community_staff, reason="再提级"))
    event = actions.escalate(event, by=world.street_dispatcher, reason="需区级协调")
    assert (event.status, event.desk) == (Status.ACCEPTED, world.district)
    refused(event, PermissionDenied, lambda: actions.escalate(event, by=world.district_dispatcher, reason="再提级"))
    refused(event, PermissionDenied, lambda: actions.escalate(event, by=world.admin, reason="再提级"))
    event = actions.dispatch(event, by=world.district_dispatcher)
    assert event.unit == world.district_mgmt
    district_handler = User.objects.create_user(
        username="dhandler", password="pass-word-123", role=Role.UNIT_HANDLER, unit=world.district_mgmt
    )
    refused(event, PermissionDenied, lambda: actions.escalate(event, by=district_handler, reason="再提级"))
    assert "escalate" not in allowed_actions(district_handler, event)


def test_it_refuses_escalation_without_reason_by_the_desk_while_dispatched_or_when_reported(world):
    event = dispatched(world)
    refused(event, InvalidInput, lambda: actions.escalate(event, by=world.handler, reason=" "))
    refused(event, PermissionDenied, lambda: actions.escalate(event, by=world.community_staff, reason="提级"))
    refused(event, PermissionDenied, lambda: actions.escalate(event, by=world.handler_city, reason="提级"))
    event = reported(world)
    refused(event, InvalidTransition, lambda: actions.escalate(event, by=world.community_staff, reason="提级"))


def test_it_records_the_handling_with_photos(world):
    event = dispatched(world)
    with clock.frozen(TUESDAY):
        event = actions.handle(event, by=world.handler, result="已清运", photos=[photo("after.png")])
    assert (event.status, event.result, event.handled_by, event.handled_at) == (
        Status.HANDLED,
        "已清运",
        world.handler,
        TUESDAY,
    )
    assert list(event.photos.values_list("stage", flat=True)) == [Stage.HANDLE]
    entry = last_entry(event)
    assert (entry.action, entry.unit, entry.note) == ("handle", world.sanitation, "已清运")


def test_it_refuses_handling_without_result_with_a_bad_photo_by_another_unit_or_twice(world):
    event = dispatched(world)
    refused(event, InvalidInput, lambda: actions.handle(event, by=world.handler, result=""))
    bad = photo("x.png", b"GIF89a......", "image/png")
    refused(event, InvalidInput, lambda: actions.handle(event, by=world.handler, result="ok", photos=[bad]))
    for who in (world.handler_city, world.community_staff, world.admin, world.resident):
        refused(event, PermissionDenied, lambda who=who: actions.handle(event, by=who, result="ok"))
    event = actions.handle(event, by=world.handler, result="ok")
    refused(event, InvalidTransition, lambda: actions.handle(event, by=world.handler, result="again"))


# --- verify, rate, reopen, supervise -------------------------------------------------------------


def test_it_closes_when_verification_passes(world):
    event = handled(world)
    with clock.frozen(TUESDAY):
        event = actions.verify(event, by=world.community_staff, passed=True, photos=[photo("ok.png")])
    assert (event.status, event.closed_at, event.rework_count) == (Status.CLOSED, TUESDAY, 0)
    assert list(event.photos.values_list("stage", flat=True)) == [Stage.VERIFY]


def test_it_sends_failed_verification_back_to_the_unit_as_rework(world):
    event = handled(world)
    with clock.frozen(TUESDAY):
        event = actions.verify(event, by=world.grid_worker, passed=False, note="仍有垃圾")
    assert (event.status, event.unit, event.rework_count, event.closed_at) == (
        Status.DISPATCHED,
        world.sanitation,
        1,
        None,
    )
    assert event.deadline == datetime(2025, 6, 12, 10, 0, tzinfo=TZ)
    entry = last_entry(event)
    assert (entry.action, entry.from_status, entry.to_status, entry.note) == (
        "verify_fail",
        Status.HANDLED,
        Status.DISPATCHED,
        "仍有垃圾",
    )


def test_it_refuses_a_failed_verification_without_a_note(world):
    event = handled(world)
    refused(event, InvalidInput, lambda: actions.verify(event, by=world.grid_worker, passed=False))


def test_it_refuses_verification_by_the_handler_themself(world):
    # Even an all-seeing account may not verify what it handled itself.
    world.handler.is_superuser = True
    world.handler.save()
    event = handled(world)
    assert event.handled_by == world.handler
    refused(event, PermissionDenied, lambda: actions.verify(event, by=world.handler, passed=True))
    assert "verify" not in allowed_actions(world.handler, event)


@pytest.mark.parametrize(
    "persona", ["grid_worker_g2", "community_staff_c3", "street_dispatcher", "resident", "handler"]
)
def test_it_refuses_verification_outside_the_verifiers_area(world, persona):
    event = handled(world)
    refused(event, PermissionDenied, lambda: actions.verify(event, by=getattr(world, persona), passed=True))


def test_it_refuses_verification_before_handling(world):
    event = dispatched(world)
    refused(event, InvalidTransition, lambda: actions.verify(event, by=world.grid_worker, passed=True))


def test_it_records_the_reporters_rating_once(world):
    event = actions.rate(closed(world), by=world.resident, score=4, comment=" 满意 ")
    assert (event.status, event.rating, event.rating_comment) == (Status.CLOSED, 4, "满意")
    assert last_entry(event).note == "4★ 满意"
    refused(event, PermissionDenied, lambda: actions.rate(event, by=world.resident, score=5))


@pytest.mark.parametrize("score", [0, 6, -1, 2.5])
def test_it_refuses_a_rating_out_of_range(world, score):
    event = closed(world)
    assert refused(event, InvalidInput, lambda: actions.rate(event, by=world.resident, score=score)).code == (
        "bad_rating"
    )


def test_it_refuses_a_rating_by_anyone_but_the_reporter_or_before_closing(world):
    event = closed(world)
    for who in (world.resident2, world.community_staff, world.admin):
        refused(event, PermissionDenied, lambda who=who: actions.rate(event, by=who, score=5))
    event = handled(world)
    refused(event, InvalidTransition, lambda: actions.rate(event, by=world.resident, score=5))


def test_it_reopens_on_a_low_rating(world):
    with clock.frozen(TUESDAY):
        event = actions.rate(closed(world), by=world.resident, score=1, comment="没处理干净", reopen_if_low=True)
    assert (event.status, event.unit, event.rework_count, event.closed_at) == (
        Status.DISPATCHED,
        world.sanitation,
        1,
        None,
    )
    assert event.deadline == datetime(2025, 6, 12, 10, 0, tzinfo=TZ)
    rows = list(
        TimelineEntry.objects.filter(event=event)
        .order_by("id")
        .values_list("action", "from_status", "to_status", "note")
    )
    assert rows[-2:] == [
        ("rate", Status.CLOSED, Status.CLOSED, "1★ 没处理干净"),
        ("reopen", Status.CLOSED, Status.DISPATCHED, "没处理干净"),
    ]


def test_it_reopens_on_a_low_rating_without_a_comment(world):
    event = actions.rate(closed(world), by=world.resident, score=2, comment="  ", reopen_if_low=True)
    assert event.status == Status.DISPATCHED
    assert last_entry(event).note == "The reporter is not satisfied."


def test_it_does_not_reopen_on_a_good_rating(world):
    event = actions.rate(closed(world), by=world.resident, score=3, reopen_if_low=True)
    assert (event.status, actions_of(event)[-1]) == (Status.CLOSED, "rate")
    refused(event, PermissionDenied, lambda: actions.reopen(event, by=world.resident, reason="还是不满意"))


def test_it_lets_the_desk_reopen_after_a_low_rating_and_the_reporter_rate_the_new_result(world):
    event = closed(world)
    refused(event, PermissionDenied, lambda: actions.reopen(event, by=world.community_staff, reason="回访不满意"))
    event = actions.rate(event, by=world.resident, score=2, comment="一般")
    refused(event, InvalidInput, lambda: actions.reopen(event, by=world.community_staff, reason=""))
    refused(event, PermissionDenied, lambda: actions.reopen(event, by=world.resident2, reason="x"))
    refused(event, PermissionDenied, lambda: actions.reopen(event, by=world.handler, reason="x"))
    event = actions.reopen(event, by=world.community_staff, reason="回访不满意")
    assert (event.status, event.rework_count, event.rating) == (Status.DISPATCHED, 1, None)
    event = actions.verify(
        actions.handle(event, by=world.handler, result="再次清理"), by=world.grid_worker, passed=True
    )
    # The old low score cannot reopen it again; the reporter rates the new result.
    refused(event, PermissionDenied, lambda: actions.reopen(event, by=world.community_staff, reason="再开"))
    event = actions.rate(event, by=world.resident, score=5)
    assert (event.status, event.rating, event.rework_count) == (Status.CLOSED, 5, 1)


def test_it_lets_a_superior_supervise_once(world):
    event = actions.supervise(dispatched(world), by=world.street_dispatcher, note="请本周内办结")
    assert (event.supervised, event.status) == (True, Status.DISPATCHED)
    refused(event, PermissionDenied, lambda: actions.supervise(event, by=world.district_dispatcher, note="again"))


def test_it_refuses_supervision_by_a_non_superior_without_note_or_when_reported_or_closed(world):
    event = dispatched(world)
    for who in (world.community_staff, world.street_dispatcher_s2, world.handler, world.grid_worker):
        refused(event, PermissionDenied, lambda who=who: actions.supervise(event, by=who, note="督办"))
    refused(event, InvalidInput, lambda: actions.supervise(event, by=world.street_dispatcher, note=""))
    for event in (reported(world), closed(world)):
        refused(event, InvalidTransition, lambda e=event: actions.supervise(e, by=world.street_dispatcher, note="督办"))


# --- what the detail page offers ---------------------------------------------------------------


def test_it_offers_each_persona_the_actions_it_may_take(world):
    event = dispatched(world)
    assert allowed_actions(world.handler, event) == ["return", "escalate", "request_extension", "handle"]
    assert allowed_actions(world.street_dispatcher, event) == ["supervise"]
    assert allowed_actions(world.community_staff, event) == []
    assert allowed_actions(world.resident, event) == []
    event = reported(world)
    assert allowed_actions(world.community_staff, event) == ["accept", "reject"]


def test_it_gives_deadlines_in_working_time_from_the_dispatch_moment(world):
    # A Friday-evening dispatch with a 2-day limit counts from Monday 09:00: due Wednesday 09:00.
    friday_evening = datetime(2025, 6, 13, 19, 30, tzinfo=TZ)
    with clock.frozen(friday_evening):
        event = dispatched(world)
    assert event.deadline == datetime(2025, 6, 18, 9, 0, tzinfo=TZ)
    assert worktime.working_hours_between(friday_evening, event.deadline) == 14.0
