from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from shequ.events.models import Category, Duty, Level, TimeLimit

CATALOG = Path(__file__).resolve().parents[2] / "src" / "shequ" / "events" / "data" / "catalog.json"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def snapshot() -> tuple:
    return (
        sorted(Level.objects.values_list("code", "name", "rank", "default_amount", "default_unit")),
        sorted(Category.objects.values_list("code", "name", "parent__code", "keywords", "default_level__code")),
        sorted(TimeLimit.objects.values_list("category__code", "level__code", "amount", "unit")),
        Duty.objects.count(),
    )


def test_it_loads_the_shipped_catalog(db, capsys):
    call_command("load_catalog", str(CATALOG))
    assert "3" in capsys.readouterr().out
    assert list(Level.objects.values_list("code", "name", "rank")) == [
        ("general", "一般", 1),
        ("urgent", "紧急", 2),
        ("critical", "特急", 3),
    ]
    groups = Category.objects.filter(parent__isnull=True)
    assert set(groups.values_list("name", flat=True)) == {
        "市容环境", "宣传广告", "施工管理", "突发事件", "街面秩序", "安全隐患", "矛盾纠纷", "民生服务", "公共设施",
    }  # fmt: skip
    leaves = Category.objects.filter(children__isnull=True)
    assert leaves.count() >= 45
    assert all(len(g.code) == 2 for g in groups)
    for leaf in leaves.select_related("parent", "default_level"):
        assert len(leaf.code) == 4 and leaf.code.startswith(leaf.parent.code)
        assert leaf.keywords and leaf.default_level is not None
        assert leaf.time_limits.count() == 3
    names = set(leaves.values_list("name", flat=True))
    assert {"暴露垃圾", "占道经营", "违规张贴小广告", "施工扰民", "燃气泄漏", "消防通道堵塞", "邻里纠纷"} <= names
    assert {"路灯损坏", "井盖缺失"} <= names


def test_it_loads_the_catalog_twice_to_the_same_result(db):
    call_command("load_catalog", str(CATALOG))
    before = snapshot()
    call_command("load_catalog", str(CATALOG))
    assert snapshot() == before


def test_it_rejects_a_bad_catalog_with_a_chinese_message_and_changes_nothing(db, tmp_path):
    call_command("load_catalog", str(CATALOG))
    before = snapshot()
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "categories": [
                    {"code": "0101", "name": "改名的暴露垃圾", "parent": "01"},
                    {"code": "9901", "name": "无主分类", "parent": "99"},
                ]
            },
            ensure_ascii=False,
        )
    )
    with pytest.raises(CommandError) as raised:
        call_command("load_catalog", str(bad))
    assert raised.value.returncode == 1
    assert "9901" in str(raised.value) and CHINESE.search(str(raised.value))
    assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "content"),
    [("broken.json", "{not json"), ("duties.csv", "category,unit\n0101,X\n")],
)
def test_it_rejects_an_unreadable_file_and_changes_nothing(db, tmp_path, name, content):
    call_command("load_catalog", str(CATALOG))
    before = snapshot()
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(CommandError) as raised:
        call_command("load_catalog", str(path))
    assert raised.value.returncode == 1 and CHINESE.search(str(raised.value))
    assert snapshot() == before
