"""Online affairs: the smart form, every workflow step and every refusal, 代办, deadlines in working days."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shequ.collection.actions import FormInvalid
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied
from shequ.registry.models import Change, SourceKind
from shequ.services.affairs import actions, certificates, queries
from shequ.services.models import Application, ApplicationEntry, AppStatus, Booking, Certificate

from .conftest import NOW, pdf, png

GOOD = {"hukou_address": "广东省深圳市福田区一路1号", "purpose": "子女入学"}


def snapshot(app: Application) -> tuple:
    fresh = Application.objects.get(pk=app.pk)
    return fresh.status, fresh.level, fresh.missing, fresh.reason, fresh.timeline.count(), fresh.files.count()


def apply(world, people, affair, values=None, **kwargs) -> Application:
    return actions.submit(
        affair=affair,
        applicant=people.zhang,
        by=kwargs.pop("by", world.resident),
        values=GOOD if values is None else values,
        files=kwargs.pop("files", {"id_card": [png()]}),
    )


def test_it_shows_what_the_base_knows_and_asks_only_the_rest(world, people, residence_affair, now):
    form = queries.form_for(residence_affair, people.zhang)
    assert [k.field.name for k in form.known] == ["person.name", "person.id_number", "person.phone"]
    assert [k.value for k in form.known][:1] == ["张三"]
    assert [(a.field.name, a.missing) for a in form.asks] == [
        ("person.hukou_address", True),
        ("application.purpose", True),
    ]
    assert form.address.endswith("101室")
    # Li was recorded long ago: his name is stale and asked again (prefilled), his phone missing.
    stale = queries.form_for(residence_affair, people.li)
    assert [(a.field.name, a.value) for a in stale.asks][:3] == [
        ("person.name", "李四"),
        ("person.id_number", ""),
        ("person.phone", ""),
    ]


def test_a_resident_submits_with_a_deadline_in_working_days(world, people, residence_affair, now):
    app = apply(world, people, residence_affair)
    assert app.status == AppStatus.SUBMITTED and not app.proxy
    assert app.number.startswith("BS20260601") and app.area_code == world.g1.code
    assert app.community == world.c1
    # 3 working days from Monday 10:00 -> Thursday 10:00
    assert timezone.localtime(app.deadline) == timezone.make_aware(datetime(2026, 6, 4, 10, 0))
    assert json.loads(app.answers) == {"person.hukou_address": GOOD["hukou_address"], "application.purpose": "子女入学"}
    assert [f.content_type for f in app.files.all()] == ["image/png"]
    assert list(app.timeline.values_list("action", "to_status")) == [("submit", "submitted")]


def test_the_deadline_skips_the_dragon_boat_holiday(world, people, residence_affair):
    # 2026-06-18 (Thursday) 10:00; 19 June is the Dragon Boat Festival, then the weekend.
    with clock.frozen(timezone.make_aware(datetime(2026, 6, 18, 10, 0))):
        app = apply(world, people, residence_affair)
    assert timezone.localtime(app.deadline).date().isoformat() == "2026-06-24"


@pytest.mark.parametrize(
    ("values", "files", "code"),
    [
        ({"purpose": "入学"}, {"id_card": [png()]}, "form_invalid"),  # the missing address is required
        (GOOD, {}, "attachment_required"),
        (GOOD, {"id_card": [SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 not a pdf")]}, "attachment_type"),
        (GOOD, {"id_card": [SimpleUploadedFile("scan.exe", b"%PDF-1.4")]}, "attachment_type"),
        (GOOD, {"other": [pdf()]}, "attachment_unknown"),
    ],
)
def test_a_bad_submission_changes_nothing(world, people, residence_affair, now, values, files, code):
    with pytest.raises(InvalidInput) as refused:
        apply(world, people, residence_affair, values=values, files=files)
    assert refused.value.code == code
    assert not Application.objects.exists() and not ApplicationEntry.objects.exists()


def test_a_too_large_file_is_refused(world, people, residence_affair, now, settings):
    settings.SHEQU_SERVICES_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(InvalidInput) as refused:
        apply(world, people, residence_affair, files={"id_card": [pdf()]})
    assert refused.value.code == "attachment_too_large" and not Application.objects.exists()


def test_a_form_error_names_each_field(world, people, residence_affair, now):
    with pytest.raises(FormInvalid) as refused:
        apply(world, people, residence_affair, values={"hukou_address": "", "purpose": ""})
    assert set(refused.value.errors) == {"hukou_address", "purpose"}


def test_nobody_applies_for_someone_else(world, people, residence_affair, now):
    with pytest.raises(PermissionDenied):
        actions.submit(affair=residence_affair, applicant=people.li, by=world.resident, values=GOOD)
    with pytest.raises(PermissionDenied):  # staff of another community
        apply(world, people, residence_affair, by=world.community_staff_c3)
    assert not Application.objects.exists()


def test_staff_apply_at_the_counter_on_the_residents_behalf(world, people, residence_affair, now):
    app = apply(world, people, residence_affair, by=world.community_staff)
    assert app.proxy and app.submitted_by == world.community_staff
    entry = app.timeline.get()
    assert entry.proxy and "代办" not in entry.note and "c1staff" in entry.note
    assert queries.applications_for(world.resident).filter(pk=app.pk).exists()  # the resident follows it


def test_accept_return_resubmit_review_and_certificate(world, people, residence_affair, now):
    app = apply(world, people, residence_affair)
    before = snapshot(app)
    for outsider in (world.community_staff_c3, world.grid_worker, world.resident):
        with pytest.raises(PermissionDenied):
            actions.accept(app, by=outsider)
    with pytest.raises(InvalidInput):
        actions.return_for_material(app, by=world.community_staff, missing=" ")
    assert snapshot(app) == before

    app = actions.return_for_material(app, by=world.community_staff, missing="身份证背面不清晰")
    assert app.status == AppStatus.RETURNED and app.missing == "身份证背面不清晰"
    with pytest.raises(InvalidTransition):
        actions.accept(app, by=world.community_staff)
    app = actions.resubmit(app, by=world.resident, values={"purpose": "办理居住证"}, files={"id_card": [pdf()]})
    assert app.status == AppStatus.SUBMITTED and app.files.count() == 2
    assert queries.answers_of(app)["application.purpose"] == "办理居住证"

    app = actions.accept(app, by=world.community_staff)
    assert app.status == AppStatus.REVIEWING
    # Collect once: the address the resident gave is in the base now, citing the application.
    people.zhang.refresh_from_db()
    assert people.zhang.hukou_address == GOOD["hukou_address"]
    change = Change.objects.get(record_type="person", record_id=people.zhang.pk, field="hukou_address")
    assert (change.source_kind, change.source_ref, change.actor) == (
        SourceKind.MANUAL,
        f"application:{app.number}",
        world.community_staff,
    )
    with pytest.raises(PermissionDenied):
        actions.review(app, by=world.street_dispatcher)  # the street does not review a community-level affair
    app = actions.review(app, by=world.community_staff, note="材料齐全")
    assert app.status == AppStatus.APPROVED
    cert = Certificate.objects.get(application=app)
    content = json.loads(cert.content)
    assert content["text"].startswith("兹证明张三（公民身份号码：") and "用于办理居住证" in content["text"]
    assert certificates.matches(cert.number, content, cert.code)
    assert list(app.timeline.values_list("action", flat=True)) == ["submit", "return", "resubmit", "accept", "approve"]


def test_two_levels_and_refusal_with_a_reason(world, people, subsidy_affair, now):
    values = {"reason": "因病致贫"}
    app = actions.submit(affair=subsidy_affair, applicant=people.zhang, by=world.resident, values=values)
    app = actions.accept(app, by=world.community_staff)
    app = actions.review(app, by=world.community_staff)
    assert (app.status, app.level, queries.level_of(app)) == (AppStatus.REVIEWING, 1, "street")
    before = snapshot(app)
    for wrong in (world.community_staff, world.street_dispatcher_s2):
        with pytest.raises(PermissionDenied):
            actions.review(app, by=wrong)
    with pytest.raises(InvalidInput):
        actions.refuse(app, by=world.street_dispatcher, reason="")
    assert snapshot(app) == before
    app = actions.refuse(app, by=world.street_dispatcher, reason="收入高于标准")
    assert (app.status, app.reason) == (AppStatus.REFUSED, "收入高于标准")
    assert not Certificate.objects.exists()
    with pytest.raises(InvalidTransition):
        actions.withdraw(app, by=world.resident)


def test_the_applicant_withdraws_and_staff_cannot_for_them(world, people, subsidy_affair, now):
    app = actions.submit(affair=subsidy_affair, applicant=people.zhang, by=world.resident, values={"reason": "病"})
    with pytest.raises(PermissionDenied):
        actions.withdraw(app, by=world.community_staff)
    assert actions.withdraw(app, by=world.resident).status == AppStatus.WITHDRAWN


def test_a_booked_slot_is_taken_for_the_next_applicant(world, people, venue_affair, now):
    values = {"venue_day": "2026-06-03", "venue_slot": "09:00-12:00", "activity": "合唱排练"}
    app = actions.submit(affair=venue_affair, applicant=people.zhang, by=world.resident, values=values)
    app = actions.review(actions.accept(app, by=world.community_staff), by=world.community_staff)
    assert app.status == AppStatus.APPROVED
    assert Booking.objects.get(application=app).slot == "09:00-12:00"
    other = {"venue_day": "2026-06-03", "venue_slot": "09:00-12:00", "activity": "书法"}
    with pytest.raises(FormInvalid) as taken:
        actions.submit(affair=venue_affair, applicant=people.wang, by=world.resident2, values=other)
    assert "venue_slot" in taken.value.errors
    for bad in ({**other, "venue_slot": "20:00-22:00"}, {**other, "venue_day": "2026-05-01"}):
        with pytest.raises(FormInvalid):
            actions.submit(affair=venue_affair, applicant=people.wang, by=world.resident2, values=bad)
    assert Application.objects.count() == 1


def test_overdue_applications_are_flagged_once(world, people, residence_affair, now):
    app = apply(world, people, residence_affair)
    with clock.frozen(timezone.make_aware(datetime(2026, 6, 4, 9, 59))):
        assert actions.mark_overdue() == 0
    with clock.frozen(timezone.make_aware(datetime(2026, 6, 4, 10, 1))):
        assert actions.mark_overdue() == 1
        assert actions.mark_overdue() == 0
    app.refresh_from_db()
    assert app.overdue and app.timeline.filter(action="overdue").count() == 1
    assert list(queries.todo_for(world.community_staff)["overdue"]) == [app]
    assert app.deadline > NOW
