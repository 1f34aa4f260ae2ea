"""The import page: upload -> mapping -> dry run -> confirm, the batch page, rejection reports, the progress bar."""

from __future__ import annotations

import csv
import io
import time
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from shequ.registry import tasks
from shequ.registry.models import Change, ImportBatch, LedgerSource, Organization, Person

from .ids import make_credit_code, make_id

ZHANG, LI = make_id(date(1950, 3, 8), seq=231), make_id(date(1988, 11, 2), seq=442)
PEOPLE = f"姓名,身份证号,联系电话,民族\n张建国,{ZHANG},13800138000,汉族\n李秀英,{LI},13900139000,01\n"


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.SHEQU_IMPORT_DIR = tmp_path / "imports"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, content: str, name: str = "people.csv", **data) -> object:
    fields = {"record_type": "person", "new_name": "民政台账", "department": "民政", **data}
    file = SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/csv")
    return client.post("/registry/imports/", {**fields, "file": file})


def test_it_asks_anonymous_users_to_log_in_and_refuses_grid_workers(world, client):
    assert client.get("/registry/imports/").status_code == 302
    assert client_for(world.grid_worker).get("/registry/imports/").status_code == 403


def test_the_whole_flow_upload_map_dry_run_apply(world):
    staff = client_for(world.community_staff)
    page = staff.get("/registry/imports/")
    assert page.status_code == 200 and "上传台账" in page.content.decode()

    uploaded = upload(staff, PEOPLE)
    assert uploaded.status_code == 302
    mapping_url = uploaded["Location"]
    source = LedgerSource.objects.get(name="民政台账")
    assert (source.record_type, source.department) == ("person", "民政")

    mapping = staff.get(mapping_url).content.decode()
    # 姓名 is prefilled from its dictionary label; 身份证号 from the common alias; samples are shown.
    assert '<option value="person.name" selected>' in mapping
    assert '<option value="person.id_number" selected>' in mapping
    assert "张建国" in mapping

    dry = staff.post(
        mapping_url,
        {"column-0": "person.name", "column-1": "person.id_number", "column-2": "", "column-3": "person.ethnicity"},
    )
    assert dry.status_code == 302
    batch = ImportBatch.objects.get()
    assert dry["Location"] == f"/registry/imports/{batch.pk}/"
    assert (batch.status, batch.created, batch.by) == ("dry_run", 2, world.community_staff)
    assert Person.objects.count() == 0
    source.refresh_from_db()
    assert source.mapping["联系电话"] == ""  # left out, and remembered as left out

    preview = staff.get(dry["Location"]).content.decode()
    assert 'data-count="created">2<' in preview and 'data-submit="apply"' in preview

    applied = staff.post(f"/registry/imports/{batch.pk}/apply/")
    assert applied.status_code == 302
    real = ImportBatch.objects.exclude(pk=batch.pk).get()
    assert applied["Location"] == f"/registry/imports/{real.pk}/"
    assert (real.status, real.created) == ("applied", 2)
    assert sorted(Person.objects.values_list("name", "phone")) == [("张建国", ""), ("李秀英", "")]
    assert set(Change.objects.values_list("source_ref", flat=True)) == {str(real.pk)}

    listing = staff.get("/registry/imports/").content.decode()
    assert f'data-batch="{real.pk}"' in listing and f'data-batch="{batch.pk}"' in listing
    # An applied batch cannot be applied again.
    staff.post(f"/registry/imports/{real.pk}/apply/")
    assert ImportBatch.objects.count() == 2


def test_a_mapping_without_the_required_name_is_refused_on_the_page(world):
    staff = client_for(world.community_staff)
    url = upload(staff, PEOPLE)["Location"]
    refused = staff.post(url, {"column-0": "", "column-1": "person.id_number", "column-2": "", "column-3": ""})
    assert refused.status_code == 400
    assert "必填字段“姓名”没有对应的列。" in refused.content.decode()
    assert ImportBatch.objects.count() == 0


def test_a_file_of_another_type_is_refused_with_a_reason(world):
    staff = client_for(world.community_staff)
    refused = upload(staff, "whatever", name="people.txt")
    assert refused.status_code == 200
    assert "只能导入 CSV 或 XLSX 文件。" in refused.content.decode()
    assert not LedgerSource.objects.filter(name="民政台账").exists()
    assert ImportBatch.objects.count() == 0


def test_rejections_are_listed_and_downloadable_and_cannot_be_applied(world):
    staff = client_for(world.community_staff)
    bad = "单位名称,统一社会信用代码\n好公司,{ok}\n,{ok2}\n坏公司,91440300MA5D000010\n".format(
        ok=make_credit_code("91440300MA5D00001"), ok2=make_credit_code("91440300MA5D00002")
    )
    url = upload(staff, bad, name="orgs.csv", record_type="organization", new_name="单位台账")["Location"]
    done = staff.post(url, {"column-0": "organization.name", "column-1": "organization.credit_code"})
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rejected) == ("dry_run", 2)
    page = staff.get(done["Location"]).content.decode()
    assert page.count("data-rejection=") == 2 and 'data-submit="apply"' not in page
    assert "单位名称为必填项" in page

    report = staff.get(f"/registry/imports/{batch.pk}/rejections.csv")
    body = b"".join(report.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert lines[0] == ["行号", "列", "值", "原因", "代码"]
    assert [(r[0], r[1]) for r in lines[1:]] == [("3", "单位名称"), ("4", "统一社会信用代码")]

    xlsx = staff.get(f"/registry/imports/{batch.pk}/rejections.xlsx")
    book = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert [row[0] for row in book.active.iter_rows(values_only=True)] == ["行号", 3, 4]

    refused = staff.post(f"/registry/imports/{batch.pk}/apply/")
    assert refused.status_code == 302 and ImportBatch.objects.count() == 1
    assert Organization.objects.count() == 0


def test_an_outsider_cannot_see_another_communitys_batch(world):
    staff = client_for(world.community_staff)
    url = upload(staff, PEOPLE)["Location"]
    staff.post(url, {"column-0": "person.name", "column-1": "person.id_number"})
    batch = ImportBatch.objects.get()
    outsider = client_for(world.community_staff_c3)
    assert outsider.get(f"/registry/imports/{batch.pk}/").status_code == 404
    assert outsider.post(f"/registry/imports/{batch.pk}/apply/").status_code == 404
    assert outsider.get(f"/registry/imports/{batch.pk}/rejections.csv").status_code == 404
    assert f'data-batch="{batch.pk}"' not in outsider.get("/registry/imports/").content.decode()
    # The street above sees it.
    assert client_for(world.street_dispatcher).get(f"/registry/imports/{batch.pk}/").status_code == 200
    # Someone else's upload token is not a way in either.
    assert outsider.get(url).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_large_file_runs_in_the_background_with_a_progress_bar(world, settings):
    settings.SHEQU_IMPORT_INLINE_ROWS = 1  # anything above one row goes to the background
    staff = client_for(world.community_staff)
    url = upload(staff, PEOPLE)["Location"]
    started = staff.post(url, {"column-0": "person.name", "column-1": "person.id_number"})
    assert started["Location"].startswith("/registry/imports/jobs/")
    job_id = started["Location"].split("/")[-2]
    page = staff.get(started["Location"])
    if page.status_code == 200:  # the thread may already be done, then the page forwards to the batch
        assert 'hx-trigger="every 1s"' in page.content.decode()
    # Wait for the thread: poll the endpoint as htmx would (no timing is asserted).
    for _attempt in range(200):
        poll = staff.get(f"/registry/imports/jobs/{job_id}/progress/", HTTP_HX_REQUEST="true")
        if "HX-Redirect" in poll:
            break
        time.sleep(0.05)
    batch = ImportBatch.objects.get()
    assert poll["HX-Redirect"] == f"/registry/imports/{batch.pk}/"
    assert 'data-job-status="finished"' in poll.content.decode() and 'data-percent="100"' in poll.content.decode()
    assert (batch.status, batch.created) == ("dry_run", 2)
    job = tasks.get_job(job_id)
    assert (job.done, job.total, job.user) == (2, 2, world.community_staff.pk)
    # Only the user who started the job sees it.
    assert client_for(world.street_dispatcher).get(f"/registry/imports/jobs/{job_id}/progress/").status_code == 404


def test_an_xlsx_organization_ledger_with_label_headers_maps_itself(world):
    from openpyxl import Workbook

    from .conftest import dwelling_in

    shop = dwelling_in(world.g1, building="5栋", room="102")
    book = Workbook()
    book.active.append(["* 单位名称", "统一社会信用代码", "单位类型", "经营场所", "联系电话"])
    book.active.append(["示范科技", make_credit_code("91440300MA5D00001"), "企业", "一网格5栋102", "13800138000"])
    content = io.BytesIO()
    book.save(content)
    staff = client_for(world.community_staff)
    file = SimpleUploadedFile("orgs.xlsx", content.getvalue())
    url = staff.post("/registry/imports/", {"file": file, "record_type": "organization", "new_name": "市场监管台账"})[
        "Location"
    ]
    page = staff.get(url)
    assert [c["chosen"] for c in page.context["columns"]] == [
        "organization.name",
        "organization.credit_code",
        "organization.type",
        "organization.premises",
        "organization.contact_phone",
    ]
    chosen = {f"column-{c['index']}": c["chosen"] for c in page.context["columns"]}
    staff.post(url, chosen)
    dry = ImportBatch.objects.get()
    staff.post(f"/registry/imports/{dry.pk}/apply/")
    org = Organization.objects.get()
    assert (org.name, org.type, org.premises_id, org.address) == ("示范科技", "enterprise", shop.pk, "一网格5栋102")


@pytest.mark.browser
def test_in_a_browser_the_progress_bar_follows_the_background_import_to_its_batch(
    browser_page, live_server, world, settings, tmp_path
):
    from tests.browser import log_in, screenshot

    settings.SHEQU_IMPORT_INLINE_ROWS = 1
    ledger = tmp_path / "people.csv"
    ledger.write_text(PEOPLE, encoding="utf-8")
    page = browser_page
    log_in(page, live_server.url, world.community_staff.username)
    page.goto(f"{live_server.url}/registry/imports/")
    page.set_input_files("input[name=file]", str(ledger))
    page.fill("input[name=new_name]", "民政台账")
    with page.expect_navigation():
        page.click("[data-submit=upload]")
    assert page.locator("#column-1").input_value() == "person.id_number"
    screenshot(page, "registry-import-mapping")
    page.click("[data-submit=dry-run]")
    # The job page polls the progress endpoint with htmx until HX-Redirect lands on the batch.
    page.wait_for_url(f"{live_server.url}/registry/imports/*/", timeout=30_000)
    batch = ImportBatch.objects.get()
    assert page.url == f"{live_server.url}/registry/imports/{batch.pk}/"
    assert page.locator("[data-count=created]").inner_text() == "2"
    screenshot(page, "registry-import-dry-run")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-submit=apply]")
    page.wait_for_url(lambda url: f"/imports/{batch.pk}/" not in url and "/imports/jobs/" not in url, timeout=30_000)
    assert page.locator("h1 [data-status]").get_attribute("data-status") == "applied"
    assert Person.objects.count() == 2
    screenshot(page, "registry-import-applied")
    page.goto(f"{live_server.url}/registry/imports/")
    assert page.locator("[data-batch]").count() == 2
    screenshot(page, "registry-import-list")
    page.goto(f"{live_server.url}/registry/dictionary/")
    assert page.locator("[data-field]").count() > 20
    screenshot(page, "registry-dictionary")
