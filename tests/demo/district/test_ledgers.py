"""The two sample ledgers: mostly known records, faults at known rows, the same bytes from the same demo."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from shequ.core.errors import InvalidInput
from shequ.demo.ledgers import FAULTS_FILE, ORGANIZATIONS_FILE, PEOPLE_FILE, write_ledgers
from shequ.registry.importing import import_file, read_file, resolve_mapping
from shequ.registry.models import Change, Field, LedgerSource, Organization, Person
from shequ.registry.validators import check_credit_code, check_phone

from ..conftest import NOW, SEED


@pytest.fixture
def ledgers(demo_db, tmp_path):
    write_ledgers(tmp_path, seed=SEED, today=NOW.date())
    return tmp_path


def manifest(folder) -> dict:
    return json.loads((folder / FAULTS_FILE).read_text(encoding="utf-8"))


def test_the_people_ledger_dry_run_rejects_exactly_the_planted_rows(ledgers):
    planted = manifest(ledgers)[PEOPLE_FILE]
    assert {f["kind"] for f in planted["faults"]} == {
        "duplicate",
        "check_digit",
        "birth_date_mismatch",
        "blank_name",
        "bad_phone",
        "gender_mismatch",
        "short_id",
    }
    people, changes = Person.objects.count(), Change.objects.count()
    source = LedgerSource.objects.create(name="民政高龄津贴", department="民政")
    report = import_file(ledgers / PEOPLE_FILE, source=source, by=None, dry_run=True)
    assert sorted((f.row, f.code, f.column) for f in report.rejections) == sorted(
        (f["row"], f["code"], f["column"]) for f in planted["faults"]
    )
    assert report.total == planted["rows"]
    assert (report.created, report.updated, report.unchanged, report.merged) == (
        planted["expected"]["created"],
        planted["expected"]["updated"],
        planted["expected"]["unchanged"],
        0,
    )
    assert report.unchanged > 4 * (report.created + report.updated)  # mostly people the base already has
    assert report.unmapped == ["序号", "津贴标准（元/月）"]
    assert (Person.objects.count(), Change.objects.count()) == (people, changes)


def test_the_shop_ledger_dry_run_rejects_exactly_the_planted_rows(ledgers):
    planted = manifest(ledgers)[ORGANIZATIONS_FILE]
    organizations, changes = Organization.objects.count(), Change.objects.count()
    source = LedgerSource.objects.create(name="市场监管商户", department="市场监管", record_type="organization")
    report = import_file(ledgers / ORGANIZATIONS_FILE, source=source, by=None, dry_run=True)
    assert sorted((f.row, f.code, f.column) for f in report.rejections) == sorted(
        (f["row"], f["code"], f["column"]) for f in planted["faults"]
    )
    expected = planted["expected"]
    assert (report.total, report.created, report.updated, report.unchanged) == (
        planted["rows"],
        expected["created"],
        expected["updated"],
        expected["unchanged"],
    )
    assert (Organization.objects.count(), Change.objects.count()) == (organizations, changes)


def test_the_people_ledger_lists_registered_people_aged_seventy_and_over(ledgers):
    book = load_workbook(ledgers / PEOPLE_FILE, read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    headers = rows[0]
    labels = set(Field.objects.filter(name__startswith="person.").values_list("label", flat=True))
    assert set(headers) - labels == {"序号", "津贴标准（元/月）"}
    faulty = {f["row"] for f in manifest(ledgers)[PEOPLE_FILE]["faults"]}
    numbers = [
        dict(zip(headers, r, strict=True))["公民身份号码"] for n, r in enumerate(rows[1:], start=2) if n not in faulty
    ]
    known = set(Person.objects.filter(residency="registered").values_list("id_number", flat=True))
    assert sum(len(n) == 18 and n in known for n in numbers) > 0.8 * len(numbers)
    amounts = [r[-1] for r in rows[1:]]
    assert set(amounts) <= {200, 300, 500, 1000, None} and amounts.count(None) <= len(faulty)


def test_the_shop_ledger_is_gb18030_csv_with_dictionary_headers_and_planted_faults(ledgers):
    content = (ledgers / ORGANIZATIONS_FILE).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(content.decode("gb18030"), newline="")))
    headers, data = rows[0], rows[1:]
    labels = set(Field.objects.filter(name__startswith="organization.").values_list("label", flat=True))
    assert set(headers) - labels == {"序号", "经营范围"}
    cells = [dict(zip(headers, r, strict=True)) for r in data]
    planted = {f["row"]: f for f in manifest(ledgers)[ORGANIZATIONS_FILE]["faults"]}
    assert {f["kind"] for f in planted.values()} == {
        "duplicate",
        "check_digit",
        "short_code",
        "blank_name",
        "bad_phone",
    }
    known = set(Organization.objects.values_list("credit_code", flat=True))
    seen: dict[str, int] = {}
    clean_known = 0
    for number, row in enumerate(cells, start=2):
        fault = planted.get(number)
        code = row["统一社会信用代码"]
        if fault is None:
            assert check_credit_code(code) == code and row["单位名称"]
            assert check_phone(row["联系电话"])
            assert code not in seen
            clean_known += code in known
        elif fault["kind"] == "duplicate":
            assert code in seen
        elif fault["kind"] in ("check_digit", "short_code"):
            with pytest.raises(InvalidInput) as raised:
                check_credit_code(code)
            assert raised.value.code == fault["code"]
        elif fault["kind"] == "blank_name":
            assert row["单位名称"] == "" and fault["column"] == "单位名称"
        else:
            with pytest.raises(InvalidInput):
                check_phone(row["联系电话"])
        seen.setdefault(code, number)
    assert clean_known > 0.8 * (len(cells) - len(planted))


def test_the_same_demo_gives_the_same_files(ledgers, tmp_path_factory):
    again = tmp_path_factory.mktemp("again")
    write_ledgers(again, seed=SEED, today=NOW.date())
    for name in (PEOPLE_FILE, ORGANIZATIONS_FILE, FAULTS_FILE):
        assert (again / name).read_bytes() == (ledgers / name).read_bytes()
    table = read_file(ledgers / PEOPLE_FILE)
    mapping = resolve_mapping(LedgerSource(name="x"), table.headers)
    assert mapping.unmapped == ["序号", "津贴标准（元/月）"]


def test_the_command_writes_both_files_where_asked(demo_db, tmp_path):
    out = StringIO()
    call_command("demo_ledgers", "--out", str(tmp_path / "l"), "--seed", str(SEED), stdout=out)
    assert (tmp_path / "l" / PEOPLE_FILE).exists() and (tmp_path / "l" / ORGANIZATIONS_FILE).exists()
    assert "faults.json" in out.getvalue()
