"""Imports of organisation ledgers: auto-mapping by label, rejections with reasons, all or nothing, idempotence."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from shequ.registry import actions
from shequ.registry.actions import MANUAL
from shequ.registry.importing import import_file
from shequ.registry.models import Change, ImportBatch, ImportRejection, LedgerSource, Organization

from .conftest import dwelling_in
from .ids import make_credit_code

ACME = make_credit_code("91440300MA5D00001")
BETA = make_credit_code("91440300MA5D00002")
GAMMA = make_credit_code("52440300MJ0000003")
BAD = ACME[:-1] + ("0" if ACME[-1] != "0" else "1")  # one mistyped check character
# The dictionary's own labels as headers: no mapping is given anywhere in this file.
HEADERS = ["统一社会信用代码", "单位名称", "单位类型", "地址", "联系人", "联系电话", "法定代表人"]


def write_csv(path: Path, rows: list[list[str]], headers: list[str] = HEADERS) -> Path:
    lines = [",".join(headers)] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def state() -> tuple:
    return tuple(Organization.objects.order_by("pk").values_list(*Organization.TRACKED)), Change.objects.count()


@pytest.fixture
def source(db) -> LedgerSource:
    return LedgerSource.objects.create(name="市场监管单位台账", department="市场监管", record_type="organization")


@pytest.fixture
def shop(world):
    return dwelling_in(world.g1, building="2栋", room="105")


@pytest.fixture
def ledger(tmp_path, shop) -> Path:
    return write_csv(
        tmp_path / "orgs.csv",
        [
            [ACME, "示范科技有限公司", "企业", "一网格2栋105", "王经理", "13800138000", "王大"],
            [BETA, "幸福超市", "个体工商户", "别处路8号", "", "0755-26543210", "李二"],
            ["", "社区书画协会", "ngo", "", "", "", ""],
        ],
    )


def test_it_maps_the_dictionary_labels_and_imports_with_premises_found_by_address(world, source, ledger, shop):
    report = import_file(ledger, source=source, by=world.community_staff, dry_run=False)
    assert (report.created, report.rejected, report.unmapped, report.batch.status) == (3, 0, [], "applied")
    source.refresh_from_db()
    assert source.mapping["单位名称"] == "organization.name"
    assert source.mapping["联系电话"] == "organization.contact_phone"  # not person.phone: same label, other record
    acme = Organization.objects.get(credit_code=ACME)
    assert (acme.type, acme.premises_id, acme.contact_phone, acme.legal_representative) == (
        "enterprise",
        shop.pk,
        "13800138000",
        "王大",
    )
    beta = Organization.objects.get(credit_code=BETA)
    assert (beta.type, beta.premises_id, beta.address) == ("individual", None, "别处路8号")
    assert Organization.objects.get(name="社区书画协会").credit_code is None
    sources = set(Change.objects.filter(record_type="organization").values_list("source_kind", "source_ref"))
    assert sources == {("import", str(report.batch.pk))}
    assert Change.objects.filter(record_type="organization", record_id=acme.pk, field="premises").get().new_value == (
        str(shop.pk)
    )


def test_it_rejects_every_faulty_row_with_a_reason_and_writes_nothing(world, source, tmp_path, shop):
    rows = [
        [ACME, "示范科技有限公司", "企业", "", "", "", ""],
        [BAD, "错码公司", "企业", "", "", "", ""],
        [ACME, "重复公司", "企业", "", "", "", ""],
        [BETA, "", "企业", "", "", "", ""],
        [GAMMA, "某协会", "外星单位", "", "", "12345", ""],
        ["", "无码小店", "", "一路1号", "", "", ""],
        ["", "无码小店", "", "一路1号", "", "", ""],
    ]
    report = import_file(write_csv(tmp_path / "bad.csv", rows), source=source, by=None, dry_run=False)
    assert report.batch.status == "failed"
    assert state() == ((), 0)
    found = list(ImportRejection.objects.filter(batch=report.batch).values_list("row", "column", "code", "reason"))
    assert [(r, c, code) for r, c, code, _reason in found] == [
        (3, "统一社会信用代码", "credit_code_check_digit"),
        (4, "统一社会信用代码", "duplicate_credit_code"),
        (5, "单位名称", "required"),
        (6, "单位类型", "invalid_code"),
        (6, "联系电话", "phone_invalid"),
        (8, "单位名称", "duplicate_row"),
    ]
    reasons = {code: reason for _r, _c, code, reason in found}
    assert reasons["duplicate_credit_code"] == "相同的统一社会信用代码已在第 2 行。"
    assert "校验" in reasons["credit_code_check_digit"]
    assert reasons["required"] == "单位名称为必填项。"
    assert report.rejected == 5


def test_it_changes_nothing_when_the_same_file_comes_again(world, source, ledger):
    first = import_file(ledger, source=source, by=world.community_staff, dry_run=False)
    before = state()
    again = import_file(ledger, source=source, by=world.community_staff, dry_run=False)
    assert (again.created, again.updated, again.unchanged, again.merged) == (0, 0, 3, 0)
    assert again.same_file_as == first.batch
    assert state() == before


def test_it_updates_by_credit_code_and_merges_by_name_and_address(world, source, tmp_path):
    acme = actions.create_organization(by=None, source=MANUAL, credit_code=ACME, name="旧名称", type="enterprise")
    shop = actions.create_organization(by=None, source=MANUAL, name="幸福超市", address="别处路8号")
    rows = [
        [ACME, "示范科技有限公司", "企业", "", "", "", ""],
        [BETA, "幸福超市", "个体工商户", "别处路 8 号", "", "", ""],
    ]
    report = import_file(write_csv(tmp_path / "next.csv", rows), source=source, by=None, dry_run=False)
    assert (report.created, report.updated, report.merged, report.rejected) == (0, 1, 1, 0)
    acme.refresh_from_db()
    shop.refresh_from_db()
    assert (acme.name, shop.credit_code, shop.type) == ("示范科技有限公司", BETA, "individual")
    renamed = Change.objects.get(record_type="organization", record_id=acme.pk, field="name", source_kind="import")
    assert (renamed.old_value, renamed.new_value, renamed.source_ref) == (
        "旧名称",
        "示范科技有限公司",
        str(report.batch.pk),
    )


def test_a_dry_run_previews_and_writes_nothing(world, source, ledger):
    report = import_file(ledger, source=source, by=None, dry_run=True)
    assert (report.created, report.batch.status) == (3, "dry_run")
    assert state() == ((), 0)


def test_the_command_dispatches_on_the_sources_record_type_and_shows_progress(world, source, ledger, capsys):
    call_command("import_ledger", str(ledger), "--source", source.name)
    _out, err = capsys.readouterr()
    assert "100%" in err and "3/3" in err
    assert Organization.objects.count() == 3
    assert ImportBatch.objects.get().status == "applied"


def test_the_command_creates_an_organization_source(world, ledger, capsys):
    call_command("import_ledger", str(ledger), "--source", "新单位台账", "--record-type", "organization", "--dry-run")
    assert LedgerSource.objects.get(name="新单位台账").record_type == "organization"
    assert Organization.objects.count() == 0
