"""Who may write which notice, who a notice reaches, read counts per grid, attachment checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from shequ.notices import actions, queries
from shequ.notices.actions import NoticeInput
from shequ.notices.models import Notice, NoticeAttachment, NoticeEntry, NoticeRead, State
from shequ.registry.models import Tag

from .conftest import notice, resident_of


def _visible(u) -> list[int]:
    return list(queries.notices_for_resident(u).values_list("pk", flat=True))


# --- writing -----------------------------------------------------------------------------------------


def test_it_keeps_a_timeline_row_per_state_change(world):
    n = notice(world.community_staff, world.c1)
    n = actions.withdraw(n, by=world.community_staff, reason="内容有误")
    rows = list(NoticeEntry.objects.filter(notice=n).values_list("action", "from_state", "to_state", "note"))
    assert rows == [
        ("compose", "", "draft", ""),
        ("publish", "draft", "published", ""),
        ("withdraw", "published", "withdrawn", "内容有误"),
    ]


def test_it_refuses_regions_outside_the_writers_area(world):
    with pytest.raises(PermissionDenied):
        notice(world.community_staff, world.c3)
    assert Notice.objects.count() == 0


def test_it_refuses_writers_below_community_staff(world):
    for who in (world.grid_worker, world.resident, world.handler):
        with pytest.raises(PermissionDenied):
            notice(who, world.g1)
    assert Notice.objects.count() == 0


def test_a_street_dispatcher_may_publish_a_communitys_draft_but_an_outsider_may_not(world):
    draft = notice(world.community_staff, world.c1, publish=False)
    with pytest.raises(PermissionDenied):
        actions.publish(draft, by=world.community_staff_c3)
    assert Notice.objects.get(pk=draft.pk).state == State.DRAFT
    assert actions.publish(draft, by=world.street_dispatcher).state == State.PUBLISHED


def test_it_refuses_bad_input_and_wrong_states(world):
    staff = world.community_staff
    with pytest.raises(InvalidInput):
        actions.compose(by=staff, data=NoticeInput(title=" ", body="x", regions=[world.c1]))
    with pytest.raises(InvalidInput):
        actions.compose(by=staff, data=NoticeInput(title="t", body="x", regions=[]))
    with pytest.raises(InvalidInput):
        actions.compose(by=staff, data=NoticeInput(title="t", body="x", regions=[world.c1], audience_roles=["admin"]))
    now = clock.now()
    with pytest.raises(InvalidInput):
        notice(staff, world.c1, publish_at=now, expires_at=now - timedelta(hours=1))
    assert Notice.objects.count() == 0
    n = notice(staff, world.c1)
    with pytest.raises(InvalidTransition):
        actions.publish(n, by=staff)
    with pytest.raises(InvalidInput):
        actions.withdraw(n, by=staff, reason=" ")
    assert Notice.objects.get(pk=n.pk).state == State.PUBLISHED


# --- targeting -----------------------------------------------------------------------------------------


def test_a_resident_of_g1_sees_a_notice_for_c1_not_one_for_c3(world):
    resident_of(world.g1, world.resident)
    for_c1 = notice(world.community_staff, world.c1, title="一社区")
    notice(world.community_staff_c3, world.c3, title="三社区")
    for_g1 = notice(world.community_staff, world.g1, title="一网格")
    notice(world.community_staff, world.g2, title="二网格")
    district = notice(world.admin, world.district, title="全区")
    assert sorted(_visible(world.resident)) == sorted([for_c1.pk, for_g1.pk, district.pk])


def test_it_shows_nothing_to_an_account_with_no_home(world):
    notice(world.community_staff, world.c1)
    assert _visible(world.resident) == []


def test_pinned_come_first_then_newest(world):
    resident_of(world.g1, world.resident)
    now = clock.now()
    old_pinned = notice(world.community_staff, world.c1, pinned=True, publish_at=now - timedelta(days=3))
    older = notice(world.community_staff, world.c1, publish_at=now - timedelta(days=2))
    newer = notice(world.community_staff, world.c1, publish_at=now - timedelta(days=1))
    assert _visible(world.resident) == [old_pinned.pk, newer.pk, older.pk]


def test_tags_narrow_the_audience(world):
    resident_of(world.g1, world.resident, tags=("elderly_alone",))
    resident_of(world.g1, world.resident2)
    elderly = Tag.objects.get(code="elderly_alone")
    n = notice(world.community_staff, world.c1, audience_tags=[elderly])
    assert _visible(world.resident) == [n.pk]
    assert _visible(world.resident2) == []


def test_it_respects_publish_time_expiry_drafts_and_withdrawal(world):
    resident_of(world.g1, world.resident)
    now = clock.now()
    later = notice(world.community_staff, world.c1, publish_at=now + timedelta(hours=2))
    expired = notice(world.community_staff, world.c1, publish_at=now - timedelta(days=2))
    Notice.objects.filter(pk=expired.pk).update(expires_at=now - timedelta(minutes=1))
    notice(world.community_staff, world.c1, publish=False)
    gone = notice(world.community_staff, world.c1)
    actions.withdraw(gone, by=world.community_staff, reason="撤回")
    assert _visible(world.resident) == []
    with clock.frozen(now + timedelta(hours=3)):
        assert _visible(world.resident) == [later.pk]


def test_a_moved_out_resident_no_longer_sees_the_old_areas_notices(world):
    from shequ.registry import actions as registry

    person = resident_of(world.g1, world.resident)
    notice(world.community_staff, world.c1)
    registry.move_out(person.residences.get(), until=clock.now().date(), by=None, source=registry.MANUAL)
    assert _visible(world.resident) == []


def test_staff_see_notices_addressed_to_their_role_and_area(world):
    for_workers = notice(world.community_staff, world.c1, audience_roles=["grid_worker"])
    notice(world.community_staff, world.c1, audience_roles=["resident"])
    notice(world.community_staff, world.g2, audience_roles=["grid_worker"])
    assert list(queries.notices_for_staff(world.grid_worker).values_list("pk", flat=True)) == [for_workers.pk]
    assert not queries.notices_for_staff(world.street_dispatcher).exists()


def test_outsider_staff_cannot_read_a_notice(world):
    n = notice(world.community_staff, world.c1)
    with pytest.raises(NotFound):
        queries.get_notice_for(world.community_staff_c3, n.pk)
    assert queries.get_notice_for(world.grid_worker, n.pk) == n  # the grid worker's grid is in c1
    assert queries.get_notice_for(world.street_dispatcher, n.pk) == n


# --- reads -----------------------------------------------------------------------------------------------


def test_it_marks_read_once(world):
    n = notice(world.community_staff, world.c1)
    assert actions.mark_read(n, user=world.resident) is True
    assert actions.mark_read(n, user=world.resident) is False
    assert NoticeRead.objects.filter(notice=n).count() == 1


def test_read_counts_per_grid(world):
    g1_a = resident_of(world.g1)
    resident_of(world.g1)
    g2_a = resident_of(world.g2)
    resident_of(world.g3)  # outside the notice
    without_account = resident_of(world.g1)
    type(without_account).objects.filter(pk=without_account.pk).update(account=None)
    n = notice(world.community_staff, world.c1)
    actions.mark_read(n, user=g1_a.account)
    actions.mark_read(n, user=g2_a.account)
    actions.mark_read(n, user=world.community_staff)  # staff reading it is not a resident's read
    rows = {r.grid.code: (r.read, r.accounts) for r in queries.read_counts(n, world.community_staff)}
    assert rows == {world.g1.code: (1, 2), world.g2.code: (1, 1)}
    # A grid worker sees only their own grid's row.
    assert [(r.grid.code, r.read, r.accounts) for r in queries.read_counts(n, world.grid_worker)] == [
        (world.g1.code, 1, 2)
    ]


def test_read_counts_follow_the_tags(world):
    tagged = resident_of(world.g1, tags=("disabled",))
    resident_of(world.g1)
    n = notice(world.community_staff, world.g1, audience_tags=[Tag.objects.get(code="disabled")])
    actions.mark_read(n, user=tagged.account)
    [row] = queries.read_counts(n, world.community_staff)
    assert (row.read, row.accounts, row.percent) == (1, 1, 100)


# --- attachments -------------------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_it_takes_pdfs_and_images(world):
    n = notice(world.community_staff, world.c1)
    a = actions.attach(n, SimpleUploadedFile("通知.pdf", PDF), by=world.community_staff)
    assert (a.content_type, a.size, a.name) == ("application/pdf", len(PDF), "通知.pdf")
    b = actions.attach(n, SimpleUploadedFile("map.png", PNG), by=world.community_staff)
    assert b.content_type == "image/png"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("run.exe", b"MZ\x90\x00" + b"\x00" * 60),
        ("fake.pdf", b"<html><script>alert(1)</script></html>"),
        ("page.html", b"<html></html>"),
        ("renamed.docx", b"PK\x03\x04" + b"\x00" * 40),
        ("image.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("empty.pdf", b""),
    ],
)
def test_it_refuses_other_files(world, name, content):
    n = notice(world.community_staff, world.c1)
    with pytest.raises(InvalidInput):
        actions.attach(n, SimpleUploadedFile(name, content), by=world.community_staff)
    assert NoticeAttachment.objects.count() == 0


def test_it_refuses_files_over_the_limit(world, settings):
    settings.SHEQU_NOTICE_ATTACHMENT_MAX_BYTES = 1024
    n = notice(world.community_staff, world.c1)
    with pytest.raises(InvalidInput) as e:
        actions.attach(n, SimpleUploadedFile("big.pdf", PDF + b"0" * 2048), by=world.community_staff)
    assert e.value.code == "attachment_too_large"
    assert NoticeAttachment.objects.count() == 0


def test_it_takes_a_real_docx(world):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    n = notice(world.community_staff, world.c1)
    a = actions.attach(n, SimpleUploadedFile("表.docx", buffer.getvalue()), by=world.community_staff)
    assert a.content_type.endswith("wordprocessingml.document")


def test_removing_an_attachment_deletes_its_file_after_commit(world, django_capture_on_commit_callbacks):
    n = notice(world.community_staff, world.c1)
    a = actions.attach(n, SimpleUploadedFile("通知.pdf", PDF), by=world.community_staff)
    storage, name = a.file.storage, a.file.name
    assert storage.exists(name)
    with pytest.raises(PermissionDenied):
        actions.detach(a, by=world.community_staff_c3)
    with django_capture_on_commit_callbacks(execute=True):
        actions.detach(a, by=world.community_staff)
    assert not NoticeAttachment.objects.exists()
    assert not storage.exists(name)
