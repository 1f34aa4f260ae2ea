"""The monthly report: the XLSX opens with openpyxl and its totals equal the API's; the printable page; the
schedule sends last month's report once, on the first working day, to the subscribers."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core import mail
from django.test import Client
from openpyxl import load_workbook

from shequ.assessment import reports, rollups
from shequ.assessment.inspection_models import ReportRun, Subscription
from tests.world import token_for

from .story import Story

pytestmark = pytest.mark.django_db


@pytest.fixture
def september(world):
    s = Story(world).report("2025-09-09 09:00").accept("2025-09-09 09:30").dispatch("2025-09-09 10:00")
    s.sweep("2025-09-12 10:00").handle("2025-09-12 11:00").verify("2025-09-12 14:00").rate("2025-09-12 15:00", 4)
    Story(world, grid=world.g4).report("2025-09-10 09:00").accept("2025-09-10 12:00")
    Story(world, grid=world.g2, category=world.graffiti).report("2025-09-11 09:00")
    rollups.fold()
    return s


def test_the_xlsx_opens_and_its_totals_equal_the_apis(world, september):
    client = Client()
    client.force_login(world.street_dispatcher)
    resp = client.get("/assessment/report.xlsx", {"area": world.s1.code, "month": "2025-09"})
    assert resp.status_code == 200 and resp["Content-Type"] == reports.XLSX_TYPE
    book = load_workbook(io.BytesIO(resp.content))
    assert book.sheetnames == ["Indicators", "Ranking", "Top categories", "Overdue"]
    sheet = book["Indicators"]
    header = [c.value for c in sheet[2]]
    total = {header[i]: c.value for i, c in enumerate(sheet[sheet.max_row])}
    communities = [row[1].value for row in sheet.iter_rows(min_row=3, max_row=sheet.max_row - 1)]
    assert communities == [world.c1.code, world.c2.code]
    api = Client(headers={"Authorization": f"Bearer {token_for(world.street_dispatcher)}"})
    figures = api.get("/api/assessment/figures", {"area": world.s1.code, "start": "2025-09-01", "end": "2025-09-30"})
    by_name = {f["name"]: f for f in figures.json()["figures"]}
    for name in ("Events reported", "Events accepted", "Reopened events"):
        assert total[name] == by_name[name]["value"]
    for name in ("Response rate", "Overdue rate", "Closure rate", "Satisfaction rate"):
        assert total[name] == pytest.approx(by_name[name]["value"], abs=1e-4)
    assert total["Events reported"] == 3
    overdue = [row[0].value for row in book["Overdue"].iter_rows(min_row=2)]
    assert overdue == [september.event.code]
    cats = [(row[1].value, row[2].value) for row in book["Top categories"].iter_rows(min_row=2)]
    assert cats[0] == ("暴露垃圾", 2)


def test_the_printable_page_and_who_may_open_it(world, september):
    client = Client()
    client.force_login(world.street_dispatcher)
    page = client.get("/assessment/report/", {"area": world.s1.code, "month": "2025-09"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-total="reported">3<' in html and september.event.code in html
    outsider = Client()
    outsider.force_login(world.street_dispatcher_s2)
    assert outsider.get("/assessment/report/", {"area": world.s1.code}).status_code == 404
    handler = Client()
    handler.force_login(world.handler)
    assert handler.get("/assessment/report/").status_code == 404


def test_the_report_is_sent_once_on_the_first_working_day(world, september, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.street_dispatcher.email = "s1@example.org"
    world.street_dispatcher.save()
    Subscription.objects.create(user=world.street_dispatcher, region=world.s1, email=True)
    Subscription.objects.create(user=world.district_dispatcher, region=world.s1, email=True)  # no address
    # 1 October 2025 is National Day: the first working day of October is Thursday 9 October.
    assert reports.first_workday(date(2025, 10, 1)) == date(2025, 10, 9)
    assert reports.send_due(today=date(2025, 10, 8)) == 0
    assert reports.send_due(today=date(2025, 10, 9)) == 1
    assert reports.send_due(today=date(2025, 10, 9)) == 0
    run = ReportRun.objects.get()
    assert (run.month, run.recipients, run.emailed) == (date(2025, 9, 1), 2, 1)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["s1@example.org"]
    book = load_workbook(io.BytesIO(mail.outbox[0].attachments[0][1]))
    assert book["Indicators"].max_row == 5  # title, header, two communities, total
    client = Client()
    client.force_login(world.street_dispatcher)
    assert client.get(f"/assessment/report/runs/{run.pk}.xlsx").status_code == 200
    other = Client()
    other.force_login(world.street_dispatcher_s2)
    assert other.get(f"/assessment/report/runs/{run.pk}.xlsx").status_code == 404
