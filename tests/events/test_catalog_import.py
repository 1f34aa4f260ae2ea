"""Importing the catalog and the responsibility list: all or nothing."""

from __future__ import annotations

import json

import pytest

from shequ.access.models import Unit
from shequ.core.errors import InvalidInput
from shequ.events.catalog import load_catalog, parse_catalog_file, route
from shequ.events.models import Category, Duty, Level, TimeLimit, TimeUnit


def doc(w) -> dict:
    return {
        "levels": [{"code": "critical", "name": "特急", "rank": 3, "default_amount": 2, "default_unit": "hours"}],
        "categories": [
            {"code": "03", "name": "公共设施"},
            {
                "code": "0301",
                "name": "井盖缺失",
                "parent": "03",
                "default_level": "critical",
                "time_limits": {"critical": "1h", "general": "3d"},
            },
            {"code": "0302", "name": "路灯损坏", "parent": "03", "time_limits": {"general": "4"}},
        ],
        "units": [{"code": "S1-SZ", "name": "东街道市政所", "region": w.s1.code, "phone": "0755-1"}],
        "duties": [{"category": "03", "region": w.s1.code, "unit": "S1-SZ", "note": "市政设施"}],
    }


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Level, Category, TimeLimit, Unit, Duty))


def test_it_loads_levels_categories_limits_units_and_duties(world):
    assert load_catalog(doc(world)) == {"levels": 1, "categories": 3, "time_limits": 3, "units": 1, "duties": 1}
    manhole = Category.objects.get(code="0301")
    assert (manhole.parent.code, manhole.default_level.code) == ("03", "critical")
    limits = set(
        TimeLimit.objects.filter(category__code__startswith="03").values_list(
            "category__code", "level__code", "amount", "unit"
        )
    )
    assert limits == {
        ("0301", "critical", 1, TimeUnit.HOURS),
        ("0301", "general", 3, TimeUnit.DAYS),
        ("0302", "general", 4, TimeUnit.DAYS),
    }
    unit = Unit.objects.get(code="S1-SZ")
    assert route(manhole, area_code=world.g1.code, desk=world.c1) == unit


def test_it_updates_in_place_when_loaded_again(world):
    load_catalog(doc(world))
    before = counts()
    changed = doc(world)
    changed["categories"][1]["name"] = "井盖破损"
    load_catalog(changed)
    assert counts() == before
    assert Category.objects.get(code="0301").name == "井盖破损"


@pytest.mark.parametrize(
    "break_it, fragment",
    [
        (lambda d: d["categories"][1].update(parent="99"), "0301: unknown parent 99"),
        (lambda d: d["categories"][2].update(default_level="slow"), "0302: unknown level slow"),
        (lambda d: d["categories"][2].update(time_limits={"general": "soon"}), "0302: bad time limit soon"),
        (lambda d: d["categories"][2].update(time_limits={"general": "0h"}), "0302: bad time limit 0h"),
        (lambda d: d["categories"][2].update(time_limits={"general": "-2"}), "0302: bad time limit -2"),
        (lambda d: d["units"][0].update(region="999"), "S1-SZ: unknown region 999"),
        (lambda d: d["duties"][0].update(unit="NOPE"), "Duty 1: unknown category, region or unit"),
        (lambda d: d["levels"][0].update(default_unit="weeks"), "critical: bad time unit weeks"),
        (lambda d: d["categories"][0].pop("name"), "categories row 1: missing name"),
        (lambda d: d["units"][0].pop("code"), "units row 1: missing code"),
        (lambda d: d.update(levels={"code": "x"}), "levels must be a list of objects"),
    ],
)
def test_it_writes_nothing_when_one_row_is_bad(world, break_it, fragment):
    before = counts()
    data = doc(world)
    break_it(data)
    with pytest.raises(InvalidInput) as info:
        load_catalog(data)
    assert info.value.code == "catalog_invalid"
    assert fragment in info.value.message
    assert counts() == before
    assert not Category.objects.filter(code__startswith="03").exists()


def test_it_lists_every_problem_at_once(world):
    data = doc(world)
    data["categories"][1]["parent"] = "98"
    data["duties"].append({"category": "0101", "region": "000", "unit": "C1-HW"})
    with pytest.raises(InvalidInput) as info:
        load_catalog(data)
    assert info.value.message.split("；")[0] == "Category 0301: unknown parent 98"
    assert "Duty 2: unknown category, region or unit" in info.value.message
    assert len(info.value.message.split("；")) == 2


def test_it_refuses_a_document_that_is_not_an_object(world):
    with pytest.raises(InvalidInput) as info:
        load_catalog([{"code": "x"}])
    assert info.value.code == "catalog_invalid"


def test_it_reads_json_and_csv_files(world):
    content = json.dumps(doc(world), ensure_ascii=False).encode()
    assert parse_catalog_file("catalog.JSON", content) == doc(world)
    csv = "\ufeffcategory,region,unit,note\r\n0102,440304001,S1-CG,涂写\r\n".encode()
    assert parse_catalog_file("duties.csv", csv) == {
        "duties": [{"category": "0102", "region": "440304001", "unit": "S1-CG", "note": "涂写"}]
    }
    assert load_catalog(parse_catalog_file("duties.csv", csv))["duties"] == 1
    assert Duty.objects.get(category=world.graffiti, region=world.s1).unit == world.city_mgmt


def test_it_refuses_a_broken_json_or_csv_file(world):
    with pytest.raises(InvalidInput):
        parse_catalog_file("catalog.json", b"{not json")
    with pytest.raises(InvalidInput):
        parse_catalog_file("duties.csv", b"category,unit\n0101,C1-HW\n")
