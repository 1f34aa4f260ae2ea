"""Exports: what the user may see, dictionary labels as headers, code names as values, CSV with a BOM, XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from shequ.access.masking import mask_id_number
from shequ.registry import actions, exporting
from shequ.registry.actions import MANUAL

from .ids import make_credit_code, make_id

ZHANG = make_id(date(1950, 3, 8), seq=231)
LI = make_id(date(1988, 11, 2), seq=442)
ZHAO = make_id(date(1990, 6, 1), seq=222)


@pytest.fixture
def base(world, homes):
    """张 and 李 live in C1 (g1, g2); 赵 in C3. One organisation sits in C1, one in C3."""
    zhang = actions.create_person(
        by=None, source=MANUAL, name="张建国", id_number=ZHANG, phone="13800138000", ethnicity="01"
    )
    li = actions.create_person(by=None, source=MANUAL, name="李秀英", id_number=LI, residency="floating")
    zhao = actions.create_person(by=None, source=MANUAL, name="赵敏", id_number=ZHAO)
    since = date(2020, 1, 1)
    actions.move_in(zhang, homes.g1_a, role="owner", since=since, by=None, source=MANUAL)
    actions.move_in(li, homes.g2_a, role="tenant", since=since, by=None, source=MANUAL)
    actions.move_in(zhao, homes.g3_a, role="owner", since=since, by=None, source=MANUAL)
    actions.tag(zhang, "elderly_alone", since=since, by=None, source=MANUAL)
    actions.tag(zhang, "veteran", since=since, by=None, source=MANUAL)
    actions.create_organization(
        by=None,
        source=MANUAL,
        name="示范科技",
        credit_code=make_credit_code("91440300MA5D00001"),
        type="enterprise",
        premises=homes.g1_b,
    )
    actions.create_organization(by=None, source=MANUAL, name="三社区超市", type="individual", premises=homes.g3_a)
    return homes


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_a_csv_export_has_dictionary_labels_code_names_and_tags(world, base):
    response = client_for(world.community_staff).get("/registry/export/download/?record=person&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert rows[0] == [
        "公民身份号码",
        "姓名",
        "性别",
        "出生日期",
        "联系电话",
        "民族",
        "人口类型",
        "户籍地址",
        "备注",
        "人员标签",
    ]
    assert rows[1:] == [
        # the ID number is L4: masked for community staff (clear up to L3), in exports as on pages
        [mask_id_number(ZHANG), "张建国", "男", "1950-03-08", "13800138000", "汉族", "", "", "", "独居老人、退役军人"],
        [mask_id_number(LI), "李秀英", "女", "1988-11-02", "", "", "流动人口", "", "", ""],
    ]


def test_an_outsiders_export_lacks_the_people_of_c1(world, base):
    rows = read_csv(client_for(world.community_staff_c3).get("/registry/export/download/?record=person&format=csv"))
    assert [r[1] for r in rows[1:]] == ["赵敏"]
    orgs = read_csv(
        client_for(world.community_staff_c3).get("/registry/export/download/?record=organization&format=csv")
    )
    assert [r[1] for r in orgs[1:]] == ["三社区超市"]


def test_the_search_filter_of_the_list_narrows_the_export(world, base):
    staff = client_for(world.community_staff)
    rows = read_csv(staff.get("/registry/export/download/", {"record": "person", "format": "csv", "q": "李"}))
    assert [r[1] for r in rows[1:]] == ["李秀英"]
    # The outsider searching for a C1 person's ID number finds nothing.
    outsider = client_for(world.community_staff_c3)
    found = read_csv(outsider.get("/registry/export/download/", {"record": "person", "format": "csv", "q": ZHANG}))
    assert found == [found[0]]


def test_an_xlsx_export_of_organizations(world, base):
    response = client_for(world.community_staff).get("/registry/export/download/?record=organization&format=xlsx")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment") and ".xlsx" in disposition
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert rows[0][:4] == ["统一社会信用代码", "单位名称", "单位类型", "经营场所"]
    assert len(rows) == 2
    assert rows[1][1:4] == ["示范科技", "企业", str(base.g1_b)]


def test_the_export_page_counts_what_the_user_may_see(world, base, client):
    assert client.get("/registry/export/").status_code == 302
    page = client_for(world.community_staff).get("/registry/export/")
    assert page.status_code == 200 and 'data-count="2"' in page.content.decode()
    assert 'data-count="1"' in client_for(world.community_staff_c3).get("/registry/export/").content.decode()
    assert client_for(world.community_staff).get("/registry/export/download/?record=x&format=csv").status_code == 404


def test_every_export_passes_through_release(world, base, monkeypatch):
    """The hook later issues extend (masking, audit): an export that bypassed it would not see this change."""
    seen: list[tuple[str, str]] = []
    original = exporting.release

    def spy(export, **kwargs):
        seen.append((export.user.username, export.record_type))
        return original(export, **kwargs)

    monkeypatch.setattr(exporting, "release", spy)
    client_for(world.community_staff).get("/registry/export/download/?record=person&format=xlsx")
    assert seen == [(world.community_staff.username, "person")]


def test_the_command_writes_the_same_export(world, base, tmp_path: Path):
    out = tmp_path / "people.csv"
    call_command("export_ledger", str(out), "--user", world.community_staff_c3.username)
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["赵敏"]
    xlsx = tmp_path / "orgs.xlsx"
    call_command("export_ledger", str(xlsx), "--user", world.admin.username, "--record", "organization")
    book = load_workbook(xlsx, read_only=True)
    assert sorted(r[1] for r in list(book.active.iter_rows(values_only=True))[1:]) == ["三社区超市", "示范科技"]
