"""Imports of people ledgers: mapping kept per source, dry runs, all or nothing, idempotence, provenance."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from shequ.core import clock
from shequ.core.errors import InvalidInput
from shequ.registry import actions
from shequ.registry.actions import MANUAL
from shequ.registry.importing import import_file, read_file
from shequ.registry.models import Change, Employment, ImportBatch, ImportRejection, LedgerSource, Person
from shequ.registry.queries import people_with_id_number

from .ids import make_credit_code, make_id

ZHANG = make_id(date(1950, 3, 8), seq=231)  # male
LI = make_id(date(1988, 11, 2), seq=442)  # female
WANG = make_id(date(1975, 1, 20), seq=515)  # male
HEADERS = ["姓名", "身份证号", "联系电话", "民族", "性别", "户籍地址"]
ROWS = [
    ["张建国", ZHANG, "13800138000", "汉族", "男", "深圳市南山区"],
    ["李秀英", LI, "139 0013 9000", "01", "", ""],
    ["王强", WANG.lower(), "", "回", "1", ""],
]
MAPPING = {"身份证号": "person.id_number"}


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", headers: list[str] = HEADERS) -> Path:
    lines = [",".join(headers)] + [",".join(r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def state() -> tuple:
    people = tuple(Person.objects.order_by("pk").values_list(*Person.TRACKED))
    return people, Change.objects.count()


@pytest.fixture
def source(db) -> LedgerSource:
    return LedgerSource.objects.create(name="民政低保台账", department="民政")


@pytest.fixture
def ledger(tmp_path) -> Path:
    return write_csv(tmp_path / "people.csv", ROWS)


def test_it_saves_the_mapping_and_reuses_it_for_the_next_file(world, source, ledger, tmp_path):
    first = import_file(ledger, source=source, by=world.grid_worker, dry_run=True, mapping=MAPPING)
    source.refresh_from_db()
    # 身份证号 mapped by hand; the others by their dictionary labels.
    assert source.mapping == {
        "姓名": "person.name",
        "身份证号": "person.id_number",
        "联系电话": "person.phone",
        "民族": "person.ethnicity",
        "性别": "person.gender",
        "户籍地址": "person.hukou_address",
    }
    assert first.unmapped == []
    second = write_csv(
        tmp_path / "next.csv",
        [["赵敏", make_id(date(1990, 6, 1), seq=222), "", "", "", "", "x"]],
        headers=[*HEADERS, "备用"],
    )
    report = import_file(second, source=source, by=world.grid_worker, dry_run=False)
    assert (report.created, report.unmapped) == (1, ["备用"])
    assert Person.objects.get().id_number == make_id(date(1990, 6, 1), seq=222)


def test_it_refuses_a_mapping_without_the_required_name(world, source, ledger):
    with pytest.raises(InvalidInput) as refused:
        import_file(ledger, source=source, by=None, dry_run=False, mapping={**MAPPING, "姓名": ""})
    assert refused.value.code == "mapping_missing_required"
    assert (ImportBatch.objects.count(), state()) == (0, ((), 0))


def test_it_previews_a_dry_run_and_writes_nothing_but_the_batch(world, source, ledger):
    report = import_file(ledger, source=source, by=world.grid_worker, dry_run=True, mapping=MAPPING)
    assert (report.created, report.updated, report.unchanged, report.merged, report.rejected) == (3, 0, 0, 0, 0)
    assert state() == ((), 0)
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.created, batch.total, batch.file_name) == ("dry_run", 3, 3, "people.csv")


def test_it_imports_a_clean_file_with_changes_sourced_to_the_batch(world, source, ledger):
    report = import_file(ledger, source=source, by=world.grid_worker, dry_run=False, mapping=MAPPING)
    assert (report.created, report.rejected, report.batch.status) == (3, 0, "applied")
    # Sorted after decryption: the column holds ciphertext, whose order means nothing.
    people = sorted(
        Person.objects.values_list("name", "id_number", "phone", "ethnicity", "gender", "birth_date"),
        key=lambda p: p[1],
    )
    assert people == [
        ("张建国", ZHANG, "13800138000", "01", "1", date(1950, 3, 8)),
        ("王强", WANG, "", "03", "1", date(1975, 1, 20)),
        ("李秀英", LI, "13900139000", "01", "2", date(1988, 11, 2)),
    ]
    wang = people_with_id_number(WANG).get()
    assert [
        (c.field, c.new_value, c.source_kind, c.source_ref)
        for c in Change.objects.filter(record_id=wang.pk, record_type="person")
    ] == [
        ("id_number", WANG, "import", str(report.batch.pk)),
        ("name", "王强", "import", str(report.batch.pk)),
        ("gender", "1", "import", str(report.batch.pk)),
        ("birth_date", "1975-01-20", "import", str(report.batch.pk)),
        ("ethnicity", "03", "import", str(report.batch.pk)),
    ]


def test_it_changes_nothing_when_the_same_file_comes_again(world, source, ledger):
    first = import_file(ledger, source=source, by=world.grid_worker, dry_run=False, mapping=MAPPING)
    before = state()
    again = import_file(ledger, source=source, by=world.grid_worker, dry_run=False)
    assert (again.created, again.updated, again.merged, again.unchanged, again.rejected) == (0, 0, 0, 3, 0)
    assert again.same_file_as == first.batch
    assert state() == before


def test_it_imports_nothing_when_one_check_digit_is_wrong(world, source, tmp_path):
    bad = WANG[:17] + ("0" if WANG[17] != "0" else "1")
    path = write_csv(tmp_path / "bad.csv", [ROWS[0], ROWS[1], ["王强", bad, "", "", "", ""]])
    report = import_file(path, source=source, by=world.grid_worker, dry_run=False, mapping=MAPPING)
    assert state() == ((), 0)
    assert (report.ok, report.rejected, report.batch.status) == (False, 1, "failed")
    assert list(ImportRejection.objects.values_list("row", "column", "value", "code", "reason")) == [
        (4, "身份证号", bad, "id_number_check_digit", "公民身份号码校验位错误，请检查是否有数字录入错误。")
    ]


def test_it_lists_every_rejected_row_with_its_reason(world, source, tmp_path):
    rows = [
        ["", ZHANG, "", "", "", ""],  # no name
        ["李秀英", LI, "12345", "", "男", ""],  # bad phone (the gender is checked once the row is otherwise clean)
        ["王强", WANG, "", "火星族", "", ""],  # not an ethnicity
        ["王强", WANG, "", "", "", ""],  # the same ID again
    ]
    report = import_file(
        write_csv(tmp_path / "faults.csv", rows), source=source, by=None, dry_run=False, mapping=MAPPING
    )
    assert [(f.row, f.column, f.code) for f in report.rejections] == [
        (2, "姓名", "required"),
        (3, "联系电话", "phone_invalid"),
        (4, "民族", "invalid_code"),
        (5, "身份证号", "duplicate_id"),
    ]
    assert report.rejections[0].reason == "姓名为必填项。"
    assert report.rejected == 4
    assert state() == ((), 0)


def test_it_updates_changed_fields_only_with_the_batch_as_source(world, source, ledger, tmp_path):
    zhang = actions.create_person(
        by=world.grid_worker, source=MANUAL, name="张建国", id_number=ZHANG, phone="13800138000"
    )
    manual = Change.objects.count()
    report = import_file(ledger, source=source, by=world.grid_worker, dry_run=False, mapping=MAPPING)
    assert (report.created, report.updated, report.unchanged) == (2, 1, 0)
    imported = Change.objects.filter(record_id=zhang.pk, record_type="person").order_by("id")[manual:]
    assert list(
        imported.values_list("field", "old_value", "new_value", "source_kind", "source_ref", "actor__username")
    ) == [
        ("ethnicity", None, "01", "import", str(report.batch.pk), "gridworker"),
        ("hukou_address", None, "深圳市南山区", "import", str(report.batch.pk), "gridworker"),
    ]


def test_it_merges_a_row_without_id_into_the_same_name_birth_date_and_phone(world, source, tmp_path):
    known = actions.create_person(by=None, source=MANUAL, name="陈静", birth_date=date(1960, 2, 2), phone="13700137000")
    headers = ["姓名", "出生日期", "联系电话", "户籍地址"]
    path = write_csv(
        tmp_path / "noid.csv",
        [["陈静", "1960/2/2", "13700137000", "福田区"], ["陈静", "1961年2月2日", "13700137000", ""]],
        headers=headers,
    )
    report = import_file(path, source=source, by=None, dry_run=False)
    assert (report.merged, report.created, report.rejected) == (1, 1, 0)
    known.refresh_from_db()
    assert known.hukou_address == "福田区"
    again = import_file(path, source=source, by=None, dry_run=False)
    assert (again.unchanged, again.created, again.merged) == (2, 0, 0)


def test_it_upgrades_fifteen_digit_ids(world, source, tmp_path):
    old = "440304500308231"  # 1950-03-08, odd sequence
    path = write_csv(tmp_path / "old.csv", [["张建国", old, "", "", "", ""]])
    import_file(path, source=source, by=None, dry_run=False, mapping=MAPPING)
    assert Person.objects.get().id_number == make_id(date(1950, 3, 8), seq=231)


def test_it_reads_gb18030_csv_and_xlsx(world, source, tmp_path):
    gbk = read_file(write_csv(tmp_path / "gbk.csv", ROWS, encoding="gb18030"))
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(["张建国", ZHANG, 13800138000, "汉族", "男", None])
    sheet.append([])
    sheet.append(["李秀英", LI, "13900139000", "01", "女", "罗湖区"])
    book.save(tmp_path / "people.xlsx")
    xlsx = read_file(tmp_path / "people.xlsx")
    assert gbk.headers == xlsx.headers == HEADERS
    assert gbk.rows[0].cells["姓名"] == "张建国"
    assert [(r.number, r.cells["联系电话"], r.cells["户籍地址"]) for r in xlsx.rows] == [
        (2, "13800138000", ""),
        (4, "13900139000", "罗湖区"),
    ]
    report = import_file(tmp_path / "people.xlsx", source=source, by=None, dry_run=False, mapping=MAPPING)
    assert (report.created, report.rejected) == (2, 0)


def test_it_reports_progress(world, source, ledger):
    seen: list[tuple[int, int]] = []
    import_file(
        ledger, source=source, by=None, dry_run=True, mapping=MAPPING, progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(0, 3), (3, 3)]


def test_it_runs_as_a_command_and_exits_1_on_rejections(world, tmp_path, capsys):
    path = write_csv(tmp_path / "cmd.csv", [ROWS[0], ["", LI, "", "", "", ""]])
    with pytest.raises(SystemExit) as exited:
        call_command("import_ledger", str(path), "--source", "公安台账", "--map", "身份证号=person.id_number")
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "第 3 行" in out and "姓名为必填项。" in out
    assert state() == ((), 0)
    call_command("import_ledger", str(write_csv(tmp_path / "ok.csv", [ROWS[0]])), "--source", "公安台账")
    assert Person.objects.get().id_number == ZHANG


# --- where the imported people work ----------------------------------------------------------------------------

WORK_HEADERS = [*HEADERS, "工作单位统一社会信用代码"]


def test_a_workplace_column_opens_employments_at_the_organisations_holding_the_codes(world, source, tmp_path):
    shop_code, firm_code = make_credit_code(), make_credit_code("91440300MA5DYYYY2")
    shop = actions.create_organization(by=None, source=MANUAL, name="阳光超市", credit_code=shop_code)
    firm = actions.create_organization(by=None, source=MANUAL, name="星河科技", credit_code=firm_code)
    known = actions.create_person(by=None, source=MANUAL, name="张建国", id_number=ZHANG, phone="13800138000")
    actions.employ(known, firm, since=date(2020, 1, 1), by=None, source=MANUAL)
    rows = [
        ["张建国", ZHANG, "13800138000", "", "", "", firm_code],  # already works there: nothing new
        ["李秀英", LI, "", "", "", "", shop_code.lower()],  # a new person, a code in lower case
        ["王强", WANG, "", "", "", "", ""],  # no workplace
    ]
    path = write_csv(tmp_path / "work.csv", rows, headers=WORK_HEADERS)
    preview = import_file(path, source=source, by=world.community_staff, dry_run=True, mapping=MAPPING)
    source.refresh_from_db()
    assert source.mapping["工作单位统一社会信用代码"] == "employment.organization"  # mapped by its name
    assert (preview.created, preview.unchanged, preview.rejected) == (2, 1, 0)
    assert Employment.objects.count() == 1
    report = import_file(path, source=source, by=world.community_staff, dry_run=False)
    assert report.ok and Employment.objects.count() == 2
    li = people_with_id_number(LI).get()
    job = Employment.objects.get(person=li)
    assert (job.organization, job.start, job.end) == (shop, clock.now().date(), None)
    logged = Change.objects.filter(record_type="employment", record_id=job.pk)
    assert set(logged.values_list("field", "source_kind", "source_ref")) == {
        ("person", "import", str(report.batch.pk)),
        ("organization", "import", str(report.batch.pk)),
        ("start", "import", str(report.batch.pk)),
    }
    # The same people again, Zhang now also at the shop: only that employment is new, and his row is an update.
    zhang_again = [["张建国", ZHANG, "13800138000", "", "", "", shop_code]]
    again = write_csv(tmp_path / "again.csv", zhang_again, headers=WORK_HEADERS)
    second = import_file(again, source=source, by=world.community_staff, dry_run=False)
    assert (second.updated, second.unchanged) == (1, 0)
    assert set(Employment.objects.filter(person=known).values_list("organization", flat=True)) == {shop.pk, firm.pk}


def test_an_unknown_or_invalid_workplace_code_rejects_the_row_and_writes_nothing(world, source, tmp_path):
    unknown = make_credit_code("91440300MA5DWWWW3")
    bad = unknown[:17] + ("0" if unknown[17] != "0" else "1")
    rows = [[*ROWS[0], ""], ["李秀英", LI, "", "", "", "", unknown], ["王强", WANG, "", "", "", "", bad]]
    path = write_csv(tmp_path / "unknown.csv", rows, headers=WORK_HEADERS)
    report = import_file(path, source=source, by=world.community_staff, dry_run=False, mapping=MAPPING)
    assert (report.ok, report.rejected) == (False, 2)
    assert state() == ((), 0) and Employment.objects.count() == 0
    faults = {r.row: r for r in ImportRejection.objects.all()}
    assert (faults[3].column, faults[3].value) == ("工作单位统一社会信用代码", unknown)
    assert faults[3].code == "workplace_unknown"
    assert unknown in faults[3].reason and "基础数据中没有" in faults[3].reason
    assert faults[4].code == "credit_code_check_digit"


def test_a_column_headed_workplace_is_not_taken_for_the_credit_code(world, source, tmp_path):
    """A ledger's 工作单位 column usually holds a name: it is left unmapped, not read as a credit code."""
    path = write_csv(tmp_path / "names.csv", [[*ROWS[0], "阳光超市"]], headers=[*HEADERS, "工作单位"])
    report = import_file(path, source=source, by=world.community_staff, dry_run=False, mapping=MAPPING)
    assert (report.ok, report.created, report.unmapped) == (True, 1, ["工作单位"])
