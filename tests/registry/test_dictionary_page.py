"""The data dictionary page, code table pages and the data resource catalogue (数据资源目录)."""

from __future__ import annotations

import io
import json

from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from shequ.audit.models import AuditEntry
from shequ.registry.models import Field


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_lists_the_fields_grouped_by_record_type(world, client):
    assert client.get("/registry/dictionary/").status_code == 302
    page = client_for(world.grid_worker).get("/registry/dictionary/")
    html = page.content.decode()
    assert page.status_code == 200
    records = [r for r, _name, _fields in page.context["groups"]]
    # the registry's own records first; other apps' fields follow (services: application, aid; devices: device_message)
    assert records[:5] == ["person", "organization", "household", "residence", "employment"]
    assert sum(len(fields) for _r, _n, fields in page.context["groups"]) == Field.objects.count()
    row = html[html.index('data-field="person.id_number"') :]
    row = row[: row.index("</tr>")]
    assert "公民身份号码" in row and "L4 高度敏感" in row and "公安" in row and "GB 11643" in row
    ethnicity = html[html.index('data-field="person.ethnicity"') :]
    assert '<a href="/registry/dictionary/code-tables/ethnicity/">民族</a>' in ethnicity[: ethnicity.index("</tr>")]


def test_it_searches_fields(world):
    page = client_for(world.community_staff).get("/registry/dictionary/", {"q": "信用代码"})
    names = [f.name for _r, _n, fields in page.context["groups"] for f in fields]
    assert names == ["organization.credit_code"]
    empty = client_for(world.community_staff).get("/registry/dictionary/", {"q": "没有这个字段"})
    assert "没有符合搜索条件的字段" in empty.content.decode()


def test_a_code_table_page_lists_its_items(world):
    staff = client_for(world.community_staff)
    page = staff.get("/registry/dictionary/code-tables/gender/")
    html = page.content.decode()
    assert page.status_code == 200 and "GB/T 2261.1-2003" in html
    assert html.count("data-code=") == 4 and "未说明的性别" in html
    assert staff.get("/registry/dictionary/code-tables/nope/").status_code == 404


def test_the_catalogue_in_json(world):
    response = client_for(world.community_staff).get("/registry/dictionary/catalogue.json")
    data = json.loads(b"".join(response.streaming_content))
    assert data["title"] == "数据资源目录"
    assert len(data["fields"]) == Field.objects.count()
    first = data["fields"][0]
    assert (first["number"], first["resource_name"], first["code"]) == (1, "实有人口", "person.id_number")
    by_code = {f["code"]: f for f in data["fields"]}
    assert by_code["person.id_number"]["sensitivity_name"] == "L4 高度敏感"
    assert by_code["person.id_number"]["sharing"] == "不予共享"
    assert by_code["organization.name"]["sharing"] == "无条件共享"
    assert by_code["person.ethnicity"]["code_table"] == "民族" and by_code["person.ethnicity"]["standard"]
    tables = {t["code"]: t for t in data["code_tables"]}
    assert len(tables["ethnicity"]["items"]) == 58
    entry = AuditEntry.objects.get(action="export")
    assert (entry.actor, entry.target_type, entry.detail) == (
        world.community_staff,
        "registry.catalogue",
        {"format": "json"},
    )


def test_the_catalogue_in_xlsx_and_from_the_command(world, tmp_path):
    response = client_for(world.community_staff).get("/registry/dictionary/catalogue.xlsx")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert book.sheetnames == ["数据资源目录", "代码表"]
    rows = list(book["数据资源目录"].iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "信息资源", "数据项编码", "数据项名称")
    assert len(rows) == Field.objects.count() + 1
    out = tmp_path / "catalogue.json"
    call_command("export_catalogue", str(out))
    assert len(json.loads(out.read_text(encoding="utf-8"))["fields"]) == Field.objects.count()
