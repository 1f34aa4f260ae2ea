"""The staff pages and the residents' portal pages over real HTTP."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from shequ.notices import actions
from shequ.notices.models import Notice, NoticeAttachment, NoticeRead, State

from .conftest import notice, resident_of
from .test_rules import PDF

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//(?!127\.0\.0\.1|localhost|testserver)""", re.I)


def client_for(u) -> Client:
    c = Client()
    c.force_login(u)
    return c


def _form(world, **overrides) -> dict:
    data = {
        "title": "燃气检修通知",
        "body": "本周六 **燃气检修**。<script>alert(1)</script>",
        "regions": [world.c1.pk],
        "audience_roles": ["resident"],
        "publish_at": "",
        "expires_at": "",
    }
    data.update(overrides)
    return data


def test_pages_need_a_login_and_residents_go_to_the_portal(world):
    assert "/login" in Client().get("/notices/")["Location"]
    assert "/portal/login" in Client().get("/notices/mine/")["Location"]
    assert client_for(world.resident).get("/notices/")["Location"] == "/portal/"


def test_the_list_shows_an_empty_state_then_notices_in_the_users_area(world):
    staff = client_for(world.community_staff)
    body = staff.get("/notices/").content.decode()
    assert "data-empty" in body
    mine = notice(world.community_staff, world.c1, title="一社区通知")
    notice(world.community_staff_c3, world.c3, title="三社区通知")
    body = staff.get("/notices/").content.decode()
    assert f'data-notice="{mine.pk}"' in body and "三社区通知" not in body
    assert 'data-total="1"' in body
    assert 'data-total="0"' in staff.get("/notices/?state=draft").content.decode()
    assert 'data-total="1"' in staff.get("/notices/?q=一社区").content.decode()


def test_the_list_paginates(world):
    for i in range(23):
        notice(world.community_staff, world.c1, title=f"通知{i}", publish=False)
    staff = client_for(world.community_staff)
    assert 'data-rows="20"' in staff.get("/notices/").content.decode()
    assert 'data-rows="3"' in staff.get("/notices/?page=2").content.decode()


def test_compose_previews_then_saves_a_sanitised_draft(world):
    staff = client_for(world.community_staff)
    preview = staff.post("/notices/new/", {**_form(world), "preview": "1"})
    assert preview.status_code == 200
    assert "<strong>燃气检修</strong>" in preview.content.decode()
    assert "alert(1)" not in preview.content.decode().split("data-preview")[1].split("</div>")[0]
    assert Notice.objects.count() == 0
    response = staff.post("/notices/new/", _form(world))
    n = Notice.objects.get()
    assert response["Location"] == f"/notices/{n.pk}/"
    assert (n.state, n.author, list(n.regions.all())) == (State.DRAFT, world.community_staff, [world.c1])
    assert "<script" not in n.body_html and "<strong>燃气检修</strong>" in n.body_html


def test_the_live_preview_endpoint_sanitises(world):
    response = client_for(world.community_staff).post("/notices/preview/", {"body": "[x](javascript:alert(1)) *a*"})
    assert "javascript" not in response.content.decode() and "<em>a</em>" in response.content.decode()


def test_compose_refuses_an_outside_region_and_lower_roles(world):
    response = client_for(world.community_staff).post("/notices/new/", _form(world, regions=[world.c3.pk]))
    assert response.status_code == 200 and Notice.objects.count() == 0
    assert client_for(world.grid_worker).get("/notices/new/").status_code == 404


def test_the_audience_offers_only_tags_the_author_sees_in_clear(world):
    """A notice to an L4 group (社区矫正) and its read counts per grid would tell who and how many are in it."""
    from shequ.registry.models import Tag

    html = client_for(world.community_staff).get("/notices/new/").content.decode()
    l4 = Tag.objects.filter(sensitivity="L4", applies_to="person")
    l3 = Tag.objects.filter(sensitivity="L3", applies_to="person")
    assert l4.exists() and l3.exists()
    assert all(t.name not in html for t in l4)
    assert all(t.name in html for t in l3)
    response = client_for(world.community_staff).post("/notices/new/", _form(world, audience_tags=[l4.first().pk]))
    assert response.status_code == 200 and Notice.objects.count() == 0


def test_publish_and_withdraw_from_the_detail_page(world):
    n = notice(world.community_staff, world.c1, publish=False)
    staff = client_for(world.community_staff)
    page = staff.get(f"/notices/{n.pk}/").content.decode()
    assert 'data-action="publish"' in page and "data-confirm" in page
    staff.post(f"/notices/{n.pk}/publish/")
    assert Notice.objects.get(pk=n.pk).state == State.PUBLISHED
    staff.post(f"/notices/{n.pk}/withdraw/", {"reason": ""})
    assert Notice.objects.get(pk=n.pk).state == State.PUBLISHED
    staff.post(f"/notices/{n.pk}/withdraw/", {"reason": "时间有变"})
    assert Notice.objects.get(pk=n.pk).state == State.WITHDRAWN


def test_outsider_staff_get_404_everywhere(world):
    n = notice(world.community_staff, world.c1)
    outsider = client_for(world.community_staff_c3)
    for path in (f"/notices/{n.pk}/", f"/notices/{n.pk}/edit/"):
        assert outsider.get(path).status_code == 404
    assert outsider.post(f"/notices/{n.pk}/withdraw/", {"reason": "x"}).status_code == 404
    assert Notice.objects.get(pk=n.pk).state == State.PUBLISHED


def test_the_detail_page_shows_read_counts_per_grid(world):
    a = resident_of(world.g1)
    resident_of(world.g1)
    resident_of(world.g2)
    n = notice(world.community_staff, world.c1)
    client_for(a.account).get(f"/notices/mine/{n.pk}/")
    page = client_for(world.community_staff).get(f"/notices/{n.pk}/").content.decode()
    assert f'data-grid="{world.g1.code}" data-read="1" data-accounts="2"' in page
    assert f'data-grid="{world.g2.code}" data-read="0" data-accounts="1"' in page


def test_attachment_upload_refusal_and_download(world):
    n = notice(world.community_staff, world.c1)
    staff = client_for(world.community_staff)
    from django.core.files.uploadedfile import SimpleUploadedFile

    staff.post(f"/notices/{n.pk}/attach/", {"file": SimpleUploadedFile("x.exe", b"MZ" + b"\0" * 50)})
    assert NoticeAttachment.objects.count() == 0
    staff.post(f"/notices/{n.pk}/attach/", {"file": SimpleUploadedFile("通知.pdf", PDF)})
    a = NoticeAttachment.objects.get()
    assert b"".join(staff.get(f"/notices/attachments/{a.pk}/").streaming_content) == PDF
    resident = resident_of(world.g1, world.resident)
    assert client_for(resident.account).get(f"/notices/attachments/{a.pk}/").status_code == 200
    assert client_for(world.resident2).get(f"/notices/attachments/{a.pk}/").status_code == 404
    assert client_for(world.community_staff_c3).get(f"/notices/attachments/{a.pk}/").status_code == 404


def test_residents_see_their_notices_pinned_first_and_unread_marked(world):
    resident_of(world.g1, world.resident)
    plain = notice(world.community_staff, world.c1, title="普通通知")
    pinned = notice(world.community_staff, world.c1, title="置顶通知", pinned=True)
    notice(world.community_staff_c3, world.c3, title="别处通知")
    c = client_for(world.resident)
    page = c.get("/notices/mine/").content.decode()
    assert page.index(f'data-notice="{pinned.pk}"') < page.index(f'data-notice="{plain.pk}"')
    assert "别处通知" not in page
    assert page.count("data-unread") == 2
    detail = c.get(f"/notices/mine/{plain.pk}/")
    assert detail.status_code == 200 and "<strong>9:00-17:00</strong>" in detail.content.decode()
    assert NoticeRead.objects.filter(notice=plain, user=world.resident).count() == 1
    assert client_for(world.resident).get("/notices/mine/").content.decode().count("data-unread") == 1


def test_a_resident_gets_404_for_a_notice_not_for_them(world):
    resident_of(world.g1, world.resident)
    elsewhere = notice(world.community_staff_c3, world.c3)
    draft = notice(world.community_staff, world.c1, publish=False)
    c = client_for(world.resident)
    assert c.get(f"/notices/mine/{elsewhere.pk}/").status_code == 404
    assert c.get(f"/notices/mine/{draft.pk}/").status_code == 404
    assert not NoticeRead.objects.exists()


def test_the_empty_state_for_a_resident(world):
    assert "data-empty" in client_for(world.resident).get("/notices/mine/").content.decode()


def test_staff_inbox_marks_read_on_opening(world):
    n = notice(world.community_staff, world.c1, audience_roles=["grid_worker"])
    worker = client_for(world.grid_worker)
    assert f'data-notice="{n.pk}"' in worker.get("/notices/inbox/").content.decode()
    worker.get(f"/notices/{n.pk}/")
    assert actions.mark_read(n, user=world.grid_worker) is False


@pytest.mark.parametrize(
    ("who", "path"),
    [("community_staff", "/notices/"), ("community_staff", "/notices/new/"), ("grid_worker", "/notices/inbox/")],
)
def test_pages_serve_every_asset_themselves(world, who, path):
    response = client_for(getattr(world, who)).get(path)
    assert response.status_code == 200
    assert EXTERNAL.findall(response.content.decode()) == []


def test_detail_and_resident_pages_serve_every_asset_themselves(world):
    resident_of(world.g1, world.resident)
    n = notice(world.community_staff, world.c1, body="![x](https://tracker.example/p.png) [链接](https://gov.example)")
    for who, path in (("community_staff", f"/notices/{n.pk}/"), ("resident", "/notices/mine/"),
                      ("resident", f"/notices/mine/{n.pk}/")):  # fmt: skip
        body = client_for(getattr(world, who)).get(path).content.decode()
        assert "tracker.example" not in body


def test_administrators_and_unit_handlers_get_the_list_without_an_inbox(world):
    """They are no notice audience: their empty inbox still carries ``unread``, so the list page counts it."""
    notice(world.community_staff, world.c1)
    for who in (world.admin, world.handler):
        resp = client_for(who).get("/notices/")
        assert resp.status_code == 200
