"""The import_grids and export_grids management commands."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from shequ.geo.models import Region
from tests.world import square

from .conftest import X, Y, feature, snapshot


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_exports_to_a_file_and_imports_it_back_unchanged(world, tmp_path: Path) -> None:
    path = tmp_path / "grids.geojson"
    run("export_grids", "-o", str(path))
    assert [f["id"] for f in json.loads(path.read_text(encoding="utf-8"))["features"]] == [
        world.g1.code,
        world.g2.code,
        world.g4.code,
        world.g3.code,
    ]
    before = snapshot()

    out = run("import_grids", str(path))

    assert out.splitlines() == ["新增 0 个，更新 0 个，无变化 4 个。", "导入完成。"]
    assert snapshot() == before


def test_it_exports_one_community_to_stdout(world) -> None:
    exported = json.loads(run("export_grids", "--community", world.c1.code))
    assert [f["properties"]["community"] for f in exported["features"]] == ["一社区", "一社区"]


def test_it_refuses_an_unknown_community_to_export(world) -> None:
    with pytest.raises(CommandError, match="不存在代码为 440304009001 的社区或街道。"):
        run("export_grids", "--community", "440304009001")


def test_it_checks_without_writing_on_a_dry_run(world, exported, tmp_path: Path) -> None:
    for f in exported["features"]:
        if f["id"] == world.g4.code:
            f["geometry"] = square(X + 0.01, Y, X + 0.015, Y + 0.01)
    exported["features"].append(feature("440304001002002", "五网格", square(X + 0.015, Y, X + 0.02, Y + 0.01)))
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    before = snapshot()

    out = run("import_grids", str(path), "--dry-run")

    assert out.splitlines() == ["新增 1 个，更新 1 个，无变化 3 个。", "预检通过；去掉 --dry-run 参数即可正式导入。"]
    assert snapshot() == before
    run("import_grids", str(path))
    assert Region.objects.filter(code="440304001002002").exists()


def test_it_prints_every_problem_and_exits_with_status_1(world, exported, tmp_path: Path) -> None:
    exported["features"].append(feature("440304001009001", "九网格", square(X + 0.02, Y, X + 0.03, Y + 0.01)))
    exported["features"].append(feature("4403", "短码", None))
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(exported), encoding="utf-8")
    before = snapshot()
    out = StringIO()

    with pytest.raises(CommandError) as caught:
        call_command("import_grids", str(path), stdout=out)

    assert caught.value.returncode == 1
    assert str(caught.value) == "发现 2 个问题，未导入任何数据。"
    assert out.getvalue().splitlines() == [
        "新增 0 个，更新 0 个，无变化 4 个。",
        "[社区不存在] 第 5 个要素 440304001009001：社区 440304001009 不存在，请先创建社区再导入其网格。",
        "[代码错误] 第 6 个要素 4403：属性“code”应为 15 位网格代码，实际为 4403。",
    ]
    assert snapshot() == before


def test_it_reports_a_missing_file(world, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="无法读取"):
        run("import_grids", str(tmp_path / "none.geojson"))
