"""One aid ledger: entries and imports through the registry's ledger import, every check (overlap of exclusive
kinds, dead, moved away, needs-list people receiving nothing), and what each department sees."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from shequ.access.models import Role, Unit
from shequ.core.errors import NotFound, PermissionDenied
from shequ.registry import actions as registry
from shequ.registry.importing import import_file
from shequ.registry.models import ImportBatch, ImportRejection, LedgerSource
from shequ.services.aid import actions, queries
from shequ.services.care import actions as care
from shequ.services.models import AidFinding, AidItem, AidKind, FindingKind
from tests.world import user

from .conftest import NOW

MAP = {"身份证号": "person.id_number"}


@pytest.fixture
def depts(world):
    civil = Unit.objects.create(code="D-MZJ", name="示范区民政局", region=world.district)
    disabled = Unit.objects.create(code="D-CL", name="示范区残联", region=world.district)
    return {
        "civil": civil,
        "disabled": disabled,
        "civil_user": user("mzj", Role.UNIT_HANDLER, unit=civil),
        "disabled_user": user("cl", Role.UNIT_HANDLER, unit=disabled),
    }


def kind(code: str) -> AidKind:
    return AidKind.objects.get(code=code)


def give(by, code: str, department, person, start: date, **more) -> actions.Recorded:
    """``actions.record_aid`` of the kind with this code."""
    return actions.record_aid(by=by, kind=kind(code), department=department, person=person, start=start, **more)


def test_an_overlap_of_exclusive_kinds_is_found_on_entry(world, people, depts, now):
    first = give(depts["civil_user"], "dibao", depts["civil"], people.zhang, date(2026, 1, 1), amount="1200")
    assert first.findings == [] and first.item.area_code == world.g1.code
    second = give(
        world.community_staff,
        "tekun",
        depts["disabled"],
        people.zhang,
        date(2026, 5, 1),
        end=date(2026, 12, 31),
        amount="900",
    )
    [found] = second.findings
    assert (found.kind, found.aid, found.other) == (FindingKind.OVERLAP, second.item, first.item)
    assert "示范区民政局" in found.detail and "1200" not in found.detail
    # Not exclusive (high-age allowance beside 低保), or not overlapping: nothing.
    assert give(world.community_staff, "gaoling", depts["civil"], people.zhang, date(2026, 1, 1)).findings == []
    assert (
        give(
            world.community_staff, "dibao", depts["civil"], people.li, date(2025, 1, 1), end=date(2025, 12, 31)
        ).findings
        == []
    )
    assert give(world.community_staff, "dibao", depts["civil"], people.li, date(2026, 1, 1)).findings == []


def test_household_aid_overlaps_a_members_aid(world, people, depts, now):
    home = people.zhang.residences.get()
    household = registry.create_household(
        home.dwelling, number="H1", head=people.zhang, by=None, source=registry.MANUAL
    )
    people.zhang.residences.update(household=household)
    hh = give(world.community_staff, "dibao", depts["civil"], people.zhang, date(2026, 1, 1), household=True)
    assert hh.item.household == household and hh.item.person is None
    mine = give(world.community_staff, "tekun", depts["civil"], people.zhang, date(2026, 3, 1))
    assert [f.other for f in mine.findings] == [hh.item]


def test_aid_to_the_dead_and_to_those_who_moved_away(world, people, depts, now):
    registry.tag(people.li, "deceased", since=date(2026, 3, 1), by=None, source=registry.MANUAL)
    dead = give(depts["civil_user"], "gaoling", depts["civil"], people.li, date(2026, 1, 1))
    assert [f.kind for f in dead.findings] == [FindingKind.DEAD]
    before = give(depts["civil_user"], "jieri", depts["civil"], people.li, date(2026, 1, 20), end=date(2026, 1, 20))
    assert before.findings == []  # paid before the death
    registry.move_out(
        people.wang.residences.get(), until=NOW.date() - timedelta(days=3), by=None, source=registry.MANUAL
    )
    moved = give(depts["civil_user"], "linshi", depts["civil"], people.wang, date(2026, 5, 31), end=date(2026, 5, 31))
    assert [f.kind for f in moved.findings] == [FindingKind.MOVED_AWAY]


def test_needs_list_people_receiving_nothing(world, people, depts, now):
    registry.tag(people.zhang, "elderly_alone", since=date(2025, 1, 1), by=None, source=registry.MANUAL)
    registry.tag(people.li, "disabled", since=date(2025, 1, 1), by=None, source=registry.MANUAL)
    care.build_needs_list(region=world.c1, by=world.community_staff)
    assert {s.person for s in queries.unhelped(world.community_staff)} == {people.zhang, people.li}
    give(world.community_staff, "canji", depts["disabled"], people.li, date(2026, 1, 1))
    give(
        world.community_staff, "gaoling", depts["civil"], people.zhang, date(2025, 1, 1), end=date(2025, 12, 31)
    )  # ended: not helped
    assert [s.person for s in queries.unhelped(world.community_staff)] == [people.zhang]
    assert not queries.unhelped(world.community_staff_c3).exists()
    assert not queries.unhelped(depts["civil_user"]).exists()  # departments do not see the needs list


def test_departments_see_their_own_aid_and_only_flags_of_others(world, people, depts, now):
    mine = give(depts["civil_user"], "dibao", depts["civil"], people.zhang, date(2026, 1, 1), amount="1200").item
    theirs = give(depts["disabled_user"], "canji", depts["disabled"], people.zhang, date(2026, 2, 1), amount="300").item
    assert list(queries.items_for(depts["civil_user"])) == [mine]
    with pytest.raises(NotFound):
        queries.get_item_for(depts["civil_user"], theirs.pk)
    [flag] = queries.flags_for(depts["civil_user"], [people.zhang.pk])[people.zhang.pk]
    assert (flag.department, flag.kind, flag.since) == ("示范区残联", "残疾人两项补贴", date(2026, 2, 1))
    assert not hasattr(flag, "amount")
    assert set(queries.items_for(world.community_staff)) == {mine, theirs}  # the community keeps the one ledger
    assert not queries.items_for(world.community_staff_c3).exists()
    assert not queries.items_for(world.grid_worker).exists() and not queries.items_for(world.handler).exists()
    with pytest.raises(PermissionDenied):  # a department records only its own aid
        give(depts["civil_user"], "canji", depts["disabled"], people.zhang, date(2026, 1, 1))
    with pytest.raises(PermissionDenied):  # a desk only for its area's people
        give(world.community_staff_c3, "canji", depts["disabled"], people.zhang, date(2026, 1, 1))
    assert AidItem.objects.count() == 2


def test_finding_a_recipient_needs_the_right_id_number_and_name(world, people, depts):
    number = people.zhang.id_number
    assert queries.find_recipient(depts["civil_user"], id_number=number, name="张三") == people.zhang
    for name in ("张四", ""):
        with pytest.raises(NotFound):
            queries.find_recipient(depts["civil_user"], id_number=number, name=name)
    with pytest.raises(NotFound):  # outside the desk's area
        queries.find_recipient(world.community_staff_c3, id_number=number, name="张三")


# --- imports through the registry's ledger import --------------------------------------------------------------


def ledger(tmp_path: Path, rows: list[list[str]], name: str = "dibao.csv") -> Path:
    headers = ["姓名", "身份证号", "救助类型", "金额（元）", "开始日期", "结束日期", "发放对象"]
    path = tmp_path / name
    path.write_text("\n".join(",".join(r) for r in [headers, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def source(db, depts) -> LedgerSource:
    return LedgerSource.objects.create(name="民政低保名册", department="示范区民政局", record_type="aid")


def test_an_aid_ledger_imports_all_or_nothing_with_its_rejections(world, people, source, tmp_path, now):
    bad = ledger(
        tmp_path,
        [
            ["张三", people.zhang.id_number, "低保", "1200", "2026-01-01", "", ""],
            ["李四", "110101199001011234", "低保", "800", "2026-01-01", "", ""],  # a wrong check digit
            ["王五", people.wang.id_number, "扶贫", "800", "2026-01-01", "", ""],  # no such kind
            ["张三丰", people.zhang.id_number, "高龄津贴", "200", "2026-01-01", "", ""],  # the name differs
        ],
    )
    report = import_file(bad, source=source, by=world.district_dispatcher, dry_run=False, mapping=MAP)
    assert not report.ok
    assert sorted(f.code for f in report.rejections) == ["aid_kind_unknown", "id_number_check_digit", "person_unknown"]
    assert {f.row for f in report.rejections} == {3, 4, 5}, report.rejections
    assert not AidItem.objects.exists()
    assert ImportRejection.objects.filter(batch=report.batch).count() == len(report.rejections)


def test_an_aid_import_checks_every_row_and_keeps_the_findings(world, people, depts, source, tmp_path, now):
    registry.tag(people.li, "deceased", since=date(2026, 2, 1), by=None, source=registry.MANUAL)
    give(depts["disabled_user"], "tekun", depts["disabled"], people.zhang, date(2025, 6, 1))
    path = ledger(
        tmp_path,
        [
            ["张三", people.zhang.id_number, "低保", "1200", "2026-01-01", "", ""],  # overlaps 特困 in the ledger
            ["王五", people.wang.id_number, "最低生活保障", "800", "2026-01-01", "2026-06-30", ""],
            ["王五", people.wang.id_number, "特困", "500", "2026-03-01", "", ""],  # overlaps row 3 of this file
        ],
    )
    dry = import_file(path, source=source, by=world.district_dispatcher, dry_run=True, mapping=MAP)
    assert dry.ok and dry.created == 3 and AidItem.objects.count() == 1
    kept = AidFinding.objects.filter(batch=dry.batch)
    assert (
        sorted((f.row, f.kind, f.aid_id is None) for f in kept)
        == [
            (2, "overlap", True),
            (4, "overlap", True),
        ]
        or kept.count() == 2
    )
    applied = import_file(path, source=source, by=world.district_dispatcher, dry_run=False)
    assert applied.ok and AidItem.objects.filter(batch=applied.batch).count() == 3
    findings = AidFinding.objects.filter(batch=applied.batch).order_by("row")
    assert [(f.row, f.kind) for f in findings] == [(2, "overlap"), (4, "overlap")]
    assert all(f.aid is not None for f in findings) and findings[0].other.kind.code == "tekun"
    assert findings[0].department == depts["civil"]
    # The same file again: nothing changes, nothing new is found.
    again = import_file(path, source=source, by=world.district_dispatcher, dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert AidItem.objects.count() == 4
    assert source.mapping["身份证号"] == "person.id_number"  # the mapping is kept for the source


def test_the_batch_report_and_the_import_command(world, people, source, tmp_path, now):
    from django.core.management import call_command
    from django.test import Client

    registry.tag(people.li, "deceased", since=date(2026, 2, 1), by=None, source=registry.MANUAL)
    path = ledger(tmp_path, [["李四", "", "高龄津贴", "200", "2026-01-01", "", ""]])
    # 李四 has no ID number in the base: the row is refused (the ledger names people by ID number).
    report = import_file(path, source=source, by=world.community_staff, dry_run=True, mapping=MAP)
    assert [f.code for f in report.rejections] == ["required"]
    call_command(
        "import_ledger",
        str(ledger(tmp_path, [], "empty.csv")),
        "--source",
        "民政低保名册",
        "--dry-run",
        "--map",
        "身份证号=person.id_number",
    )
    assert ImportBatch.objects.filter(source=source).count() == 2
    staff = Client()
    staff.force_login(world.community_staff)
    page = staff.get(f"/registry/imports/{report.batch.pk}/").content.decode()
    assert f"/services/aid/batches/{report.batch.pk}/" in page
    report_page = staff.get(f"/services/aid/batches/{report.batch.pk}/")
    assert report_page.status_code == 200 and "data-empty" in report_page.content.decode()
    outsider = Client()
    outsider.force_login(world.community_staff_c3)
    assert outsider.get(f"/services/aid/batches/{report.batch.pk}/").status_code == 404
