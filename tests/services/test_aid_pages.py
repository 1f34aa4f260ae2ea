"""The aid ledger's pages: a department sees its own aid in full and of the others only "already helped" flags (no
amounts); the desks their area's ledger with search, filters and pages; an entry runs the checks and shows their
report; the import page hands the file to the registry's ledger import; the checks' report lists the findings and the
needs-list people receiving nothing. Anyone else gets a 404."""

from __future__ import annotations

from datetime import date

from django.test import Client

from shequ.registry import actions as registry
from shequ.services.care import actions as care
from shequ.services.models import AidFinding, AidItem

from .test_aid import depts, give, kind  # noqa: F401


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_department_sees_its_own_amounts_and_only_flags_of_others(world, people, depts, now):  # noqa: F811
    mine = give(depts["civil_user"], "dibao", depts["civil"], people.zhang, date(2026, 1, 1), amount="1234.50").item
    theirs = give(depts["disabled_user"], "canji", depts["disabled"], people.zhang, date(2026, 2, 1), amount="876")
    page = client_for(depts["civil_user"]).get("/services/aid/").content.decode()
    assert f'data-aid="{mine.pk}"' in page and "1234.50" in page
    assert f'data-aid="{theirs.item.pk}"' not in page and "876" not in page
    assert "示范区残联" in page and 'data-flag="残疾人两项补贴"' in page  # the flag: who and what, no amount
    assert client_for(depts["civil_user"]).get(f"/services/aid/items/{theirs.item.pk}/").status_code == 404
    item = client_for(depts["civil_user"]).get(f"/services/aid/items/{mine.pk}/").content.decode()
    assert "1234.50" in item and "示范区残联" in item and "876" not in item
    # the community desk sees both, with amounts; another community and a grid worker see none of it
    desk = client_for(world.community_staff).get("/services/aid/").content.decode()
    assert "1234.50" in desk and "876" in desk and 'data-rows="2"' in desk
    assert "data-empty" in client_for(world.community_staff_c3).get("/services/aid/").content.decode()
    assert client_for(world.community_staff_c3).get(f"/services/aid/items/{mine.pk}/").status_code == 404
    assert client_for(world.grid_worker).get("/services/aid/").status_code == 404
    # the way in: the services workbench page links the ledger for those who see it
    assert 'data-link="aid"' in client_for(depts["civil_user"]).get("/services/applications/").content.decode()
    assert 'data-link="aid"' not in client_for(world.grid_worker).get("/services/applications/").content.decode()


def test_the_ledger_searches_and_filters(world, people, depts, now):  # noqa: F811
    give(world.community_staff, "dibao", depts["civil"], people.zhang, date(2026, 1, 1))
    give(world.community_staff, "canji", depts["disabled"], people.li, date(2026, 1, 1), end=date(2026, 3, 1))
    give(world.district_dispatcher, "gaoling", depts["civil"], people.wang, date(2026, 1, 1))
    staff = client_for(world.admin)

    def rows(query: str) -> str:
        page = staff.get(f"/services/aid/?{query}").content.decode()
        return page.split('data-rows="')[1].split('"')[0] if 'data-rows="' in page else "0"

    assert rows("") == "3"
    assert rows("kind=canji") == "1"
    assert rows(f"department={depts['civil'].pk}") == "2"
    assert rows(f"community={world.c3.code}") == "1"
    assert rows("current=1") == "2"
    assert rows("q=李四") == "1"
    assert rows("department=99999999999999999999&community=x") == "0"  # bad input finds nothing, no 500
    assert rows(f"q={people.wang.id_number}") == "1"
    # who does not see names in clear searches by the full ID number only
    refused = client_for(world.district_dispatcher).get("/services/aid/?q=李四").content.decode()
    assert 'data-error="search"' in refused and "data-aid=" not in refused


def test_an_entry_runs_the_checks_and_shows_their_report(world, people, depts, now):  # noqa: F811
    give(depts["civil_user"], "dibao", depts["civil"], people.zhang, date(2026, 1, 1), amount="1200")
    staff = client_for(world.community_staff)
    form = {
        "id_number": people.zhang.id_number,
        "name": "张三",
        "kind": kind("tekun").pk,
        "department": depts["disabled"].pk,
        "start": "2026-05-01",
        "amount": "900",
    }
    wrong = staff.post("/services/aid/new/", {**form, "name": "张四"})
    assert wrong.status_code == 400 and "No person" not in wrong.content.decode()
    assert "data-error" in wrong.content.decode()
    assert AidItem.objects.count() == 1
    bad = staff.post("/services/aid/new/", {**form, "end": "2026-04-01"})
    assert bad.status_code == 400 and AidItem.objects.count() == 1
    done = staff.post("/services/aid/new/", form)
    assert done.status_code == 302
    item = AidItem.objects.get(kind__code="tekun")
    page = staff.get(done["Location"]).content.decode()
    assert f'data-aid="{item.pk}"' in page and 'data-finding="overlap"' in page and "示范区民政局" in page
    # a department records only its own aid: the form offers no other department
    entry = client_for(depts["civil_user"]).get("/services/aid/new/").content.decode()
    assert "示范区民政局" in entry and "示范区残联" not in entry
    assert client_for(depts["civil_user"]).post("/services/aid/new/", form).status_code == 400
    assert AidItem.objects.count() == 2


def test_the_checks_report_and_resolving_a_finding(world, people, depts, now):  # noqa: F811
    registry.tag(people.li, "disabled", since=date(2025, 1, 1), by=None, source=registry.MANUAL)
    care.build_needs_list(region=world.c1, by=world.community_staff)
    give(world.community_staff, "dibao", depts["civil"], people.zhang, date(2026, 1, 1))
    give(world.community_staff, "tekun", depts["disabled"], people.zhang, date(2026, 2, 1))
    staff = client_for(world.community_staff)
    report = staff.get("/services/aid/checks/").content.decode()
    assert report.count('data-finding="overlap"') == 1
    unhelped = staff.get("/services/aid/checks/?check=unhelped").content.decode()
    assert unhelped.count("data-unhelped=") == 1 and "李四" in unhelped
    # a department does not see the needs list
    assert 'data-check="unhelped"' not in client_for(depts["civil_user"]).get("/services/aid/checks/").content.decode()
    finding = AidFinding.objects.get()
    assert client_for(world.community_staff_c3).post(f"/services/aid/findings/{finding.pk}/resolve/").status_code == 404
    staff.post(f"/services/aid/findings/{finding.pk}/resolve/", {"resolution": ""})
    assert AidFinding.objects.get().resolved_at is None
    staff.post(f"/services/aid/findings/{finding.pk}/resolve/", {"resolution": "特困供养已停发"})
    assert AidFinding.objects.get().resolution == "特困供养已停发"
    assert 'data-finding="overlap"' not in staff.get("/services/aid/checks/").content.decode()


def test_the_import_page_uses_the_registry_import(world, people, depts, now):  # noqa: F811
    page = client_for(world.community_staff).get("/services/aid/import/").content.decode()
    assert 'action="/registry/imports/"' in page and 'name="record_type" value="aid"' in page
    # departments enter aid; the desks import the departments' spreadsheets
    assert client_for(depts["civil_user"]).get("/services/aid/import/").status_code == 404
