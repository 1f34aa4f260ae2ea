"""The auditor pages: only auditors and administrators see them; search, detail, export (audited), verify."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from shequ import audit
from shequ.audit.actions import Target
from shequ.audit.models import AuditEntry

from .conftest import raw

pytestmark = pytest.mark.django_db

PAGES = ["/audit/", "/audit/1/", "/audit/export.csv", "/audit/verify/"]


@pytest.fixture
def trail(world):
    audit.record(
        "reveal",
        actor=world.community_staff,
        target=Target("registry.person", "7", "440304001001"),
        fields=["id_number"],
        purpose="核实低保资格",
    )
    audit.record(
        "export",
        actor=world.street_dispatcher,
        target=Target("registry.person", "", "440304001"),
        purpose="季度报表",
        detail={"rows": 120},
    )
    audit.record(
        "write", actor=world.community_staff, target=Target("registry.person", "7", "440304001001"), fields=["phone"]
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", PAGES)
def test_community_staff_and_residents_find_nothing_there(world, trail, path):
    for user in (world.community_staff, world.district_dispatcher, world.resident):
        assert client_for(user).get(path).status_code == 404
    assert not AuditEntry.objects.filter(action="export", target_type="audit.auditentry").exists()


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(db, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_an_auditor_searches_the_trail(world, trail, auditor):
    client = client_for(auditor)
    page = client.get("/audit/").content.decode()
    assert "核实低保资格" in page and "季度报表" in page
    found = client.get("/audit/", {"purpose": "低保"}).content.decode()
    assert "核实低保资格" in found and "季度报表" not in found
    by_actor = client.get("/audit/", {"actor": "s1dispatch", "action": "export"}).content.decode()
    assert 'data-total="1"' in by_actor and "季度报表" in by_actor
    by_target = client.get("/audit/", {"target_type": "registry.person", "target_id": "7"}).content.decode()
    assert 'data-total="2"' in by_target
    in_area = client.get("/audit/", {"area_code": "440304001001"}).content.decode()
    assert 'data-total="2"' in in_area
    nothing = client.get("/audit/", {"since": "2001-01-01", "until": "2001-01-02"}).content.decode()
    assert 'data-empty="entries"' in nothing and "没有符合条件的审计条目" in nothing


def test_the_list_paginates_and_swaps_only_results_for_htmx(world, auditor):
    for i in range(55):
        audit.record("query", actor=world.admin, purpose=f"查询{i}")
    client = client_for(auditor)
    first = client.get("/audit/").content.decode()
    assert 'data-rows="50"' in first and "查询54" in first and "查询4<" not in first
    second = client.get("/audit/", {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in second and 'data-rows="6"' in second  # the oldest six


def test_an_empty_trail_says_so(db, auditor):
    client = Client()
    client.force_login(auditor)  # this sign-in is itself the first entry
    assert 'data-total="1"' in client.get("/audit/").content.decode()
    body = client.get("/audit/", {"action": "reveal"}).content.decode()
    assert "没有符合条件的审计条目" in body


def test_an_auditor_reads_one_entry(world, trail, auditor):
    entry = AuditEntry.objects.get(action="export")
    body = client_for(auditor).get(f"/audit/{entry.sequence}/").content.decode()
    assert "季度报表" in body and entry.hash in body and entry.prev_hash in body and "120" in body
    assert client_for(auditor).get("/audit/999/").status_code == 404


def test_the_export_is_itself_audited(world, trail, auditor):
    response = client_for(auditor).get("/audit/export.csv", {"action": "reveal"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["序号", "时间", "账号"]
    assert [r[11] for r in rows[1:]] == ["核实低保资格"]
    export = AuditEntry.objects.filter(action="export", actor=auditor).get()
    assert export.target_type == "audit.auditentry"
    assert export.detail == {"filter": {"action": "reveal"}, "rows": 1, "format": "csv"}
    assert audit.verify_chain().ok


def test_an_administrator_may_audit(world, trail):
    client = client_for(world.admin)
    assert client.get("/audit/").status_code == 200
    assert client.get("/audit/1/").status_code == 200


def test_verify_now_shows_the_result(world, trail, auditor):
    client = client_for(auditor)
    assert "立即校验" in client.get("/audit/verify/").content.decode()
    ok = client.post("/audit/verify/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-verdict="ok"' in ok and "审计链完整" in ok
    raw("UPDATE {t} SET purpose = %s WHERE sequence = 2", ["改过"])
    bad = client.post("/audit/verify/").content.decode()
    assert 'data-verdict="altered"' in bad and 'data-sequence="2"' in bad and "第 2 条被篡改" in bad
    assert AuditEntry.objects.filter(action="verify").count() == 2


def test_the_admin_is_read_only_even_for_a_superuser(world, trail):
    root = get_user_model().objects.create_superuser(username="root", password="pass-word-123")
    client = client_for(root)
    entry = AuditEntry.objects.get(action="reveal")
    assert client.get("/admin/audit/auditentry/").status_code == 200
    change = client.get(f"/admin/audit/auditentry/{entry.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    client.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"purpose": "改写"})
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/delete/").status_code == 403
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    entry.refresh_from_db()
    assert entry.purpose == "核实低保资格"
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    assert audit.verify_chain().ok


def test_a_bad_date_range_is_explained(world, trail, auditor):
    body = client_for(auditor).get("/audit/", {"since": "2026-02-01", "until": "2026-01-01"}).content.decode()
    assert "开始日期晚于结束日期" in body and 'data-total="0"' in body
