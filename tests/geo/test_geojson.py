"""GeoJSON export and import of grids: round trip, every problem reported, all or nothing."""

from __future__ import annotations

import json
import math
import re

import pytest

from shequ.geo.geojson import Problem, export_grids, import_grids
from shequ.geo.models import Region
from tests.world import square

from .conftest import X, Y, collection, feature, snapshot

C1_GRIDS = ["440304001001001", "440304001001002"]


def m2(dx: float, dy: float, lat: float) -> float:
    return dx * dy * 111_320.0**2 * math.cos(math.radians(lat))


def edit(exported: dict, code: str, geometry: dict | None = None, **props) -> dict:
    for f in exported["features"]:
        if f["properties"]["code"] == code:
            if geometry is not None:
                f["geometry"] = geometry
            f["properties"].update(props)
    return exported


def refused(source, *, codes: list[str]) -> list[Problem]:
    before = snapshot()
    report = import_grids(source)
    assert [p.code for p in report.problems] == codes
    assert not report.written
    assert snapshot() == before
    return report.problems


def test_it_exports_grids_with_their_community(world) -> None:
    exported = export_grids(within=world.c1.code)
    assert exported == {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": code,
                "geometry": grid.boundary,
                "properties": {
                    "code": code,
                    "name": grid.name,
                    "level": "grid",
                    "parent_code": world.c1.code,
                    "community": "一社区",
                },
            }
            for code, grid in zip(C1_GRIDS, [world.g1, world.g2], strict=True)
        ],
    }
    assert [f["id"] for f in export_grids(within=world.s1.code)["features"]] == [*C1_GRIDS, world.g4.code]
    assert len(export_grids()["features"]) == 4


def test_it_round_trips_without_changes(world, exported) -> None:
    before = snapshot()
    report = import_grids(json.dumps(exported).encode())
    assert (report.problems, report.created, report.updated) == ([], [], [])
    assert report.unchanged == [*C1_GRIDS, world.g4.code, world.g3.code]
    assert report.written
    assert snapshot() == before


def test_it_creates_and_updates_by_code(world, exported) -> None:
    edit(exported, world.g4.code, square(X + 0.01, Y, X + 0.015, Y + 0.01), name="四网格（西）")
    exported["features"].append(feature("440304001002002", "五网格", square(X + 0.015, Y, X + 0.02, Y + 0.01)))

    report = import_grids(exported)

    assert (report.problems, report.created, report.updated) == ([], ["440304001002002"], [world.g4.code])
    new = Region.objects.get(code="440304001002002")
    assert (new.name, new.level, new.parent, new.boundary) == (
        "五网格",
        "grid",
        world.c2,
        square(X + 0.015, Y, X + 0.02, Y + 0.01),
    )
    assert (new.center_lon, new.center_lat) == (pytest.approx(X + 0.0175), pytest.approx(Y + 0.005))
    world.g4.refresh_from_db()
    assert (world.g4.name, world.g4.boundary) == ("四网格（西）", square(X + 0.01, Y, X + 0.015, Y + 0.01))


def test_it_writes_nothing_on_a_dry_run(world, exported) -> None:
    exported["features"].append(feature("440304001002002", "五网格", square(X + 0.015, Y, X + 0.02, Y + 0.01)))
    edit(exported, world.g4.code, square(X + 0.01, Y, X + 0.015, Y + 0.01))
    before = snapshot()

    report = import_grids(exported, dry_run=True)

    assert (report.ok, report.written, report.created, report.updated) == (
        True,
        False,
        ["440304001002002"],
        [world.g4.code],
    )
    assert snapshot() == before


def test_it_reports_a_self_intersecting_polygon_with_the_reason(world, exported) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[X, Y], [X + 0.005, Y + 0.01], [X + 0.005, Y], [X, Y + 0.01], [X, Y]]],
    }
    [problem] = refused(edit(exported, world.g1.code, bowtie), codes=["invalid_boundary"])
    assert (problem.index, problem.number, problem.region_code) == (0, 1, world.g1.code)
    assert problem.message == "边界不是有效的多边形：边界线自相交（位于 114.052500, 22.545000 附近）。"


def test_it_still_reports_a_gap_away_from_an_invalid_polygon(world, exported) -> None:
    # G1 drawn as a bowtie (its hull still covers the west half); G2 shrunk, leaving a strip uncovered.
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[X, Y], [X + 0.005, Y + 0.01], [X + 0.005, Y], [X, Y + 0.01], [X, Y]]],
    }
    edit(exported, world.g1.code, bowtie)
    edit(exported, world.g2.code, square(X + 0.005, Y, X + 0.009, Y + 0.01))
    problems = refused(exported, codes=["invalid_boundary", "gap"])
    assert problems[1].message.endswith("（位于 114.059500, 22.545000 附近）。")


def test_it_reports_an_overlap_with_an_existing_grid(world, exported) -> None:
    # G1 widened by 0.001° into G2, which the file leaves out (so it stays as it is).
    exported["features"] = [f for f in exported["features"] if f["id"] == world.g1.code]
    [problem] = refused(edit(exported, world.g1.code, square(X, Y, X + 0.006, Y + 0.01)), codes=["overlap"])
    assert (problem.index, problem.region_code) == (0, world.g1.code)
    area = float(re.search(r"([\d.]+) 平方米", problem.message)[1])
    assert area == pytest.approx(m2(0.001, 0.01, Y + 0.005), abs=1)
    assert problem.message.startswith(f"与网格 {world.g2.code} 重叠 ")


def test_it_reports_an_overlap_between_imported_grids_once(world, exported) -> None:
    exported["features"].append(feature("440304001002002", "五网格", square(X + 0.015, Y, X + 0.02, Y + 0.01)))
    problems = refused(exported, codes=["overlap"])
    assert (problems[0].index, problems[0].region_code) == (4, "440304001002002")
    assert world.g4.code in problems[0].message


def test_it_reports_a_gap_with_its_area(world, exported) -> None:
    [problem] = refused(edit(exported, world.g1.code, square(X, Y, X + 0.004, Y + 0.01)), codes=["gap"])
    assert (problem.index, problem.region_code) == (None, world.c1.code)
    area = float(re.search(r"([\d.]+) 平方米", problem.message)[1])
    assert area == pytest.approx(m2(0.001, 0.01, Y + 0.005), abs=1)
    assert "一社区（440304001001）" in problem.message


def test_it_reports_an_unknown_community(world) -> None:
    [problem] = refused(
        collection(feature("440304001009001", "九网格", square(X + 0.02, Y, X + 0.03, Y + 0.01))),
        codes=["unknown_community"],
    )
    assert (problem.index, problem.region_code) == (0, "440304001009001")
    assert problem.message == "社区 440304001009 不存在，请先创建社区再导入其网格。"


def test_it_reports_a_grid_outside_its_community(world, exported) -> None:
    [problem] = refused(
        edit(exported, world.g4.code, square(X + 0.01, Y, X + 0.021, Y + 0.01)), codes=["outside_community"]
    )
    assert (problem.index, problem.region_code) == (2, world.g4.code)
    area = float(re.search(r"([\d.]+) 平方米", problem.message)[1])
    assert area == pytest.approx(m2(0.001, 0.01, Y + 0.005), abs=1)


def test_it_reports_every_problem_in_one_pass(world, exported) -> None:
    edit(exported, world.g1.code, square(X, Y, X + 0.004, Y + 0.01))  # gap in C1
    edit(exported, world.g4.code, square(X + 0.01, Y, X + 0.021, Y + 0.01))  # outside C2
    exported["features"] += [
        feature("440304001009001", "九网格", square(X + 0.02, Y, X + 0.03, Y + 0.01)),  # no such community
        feature("44030400100100", "短码", square(X, Y, X + 0.001, Y + 0.001)),
        feature(world.g3.code, "重复", square(X, Y + 0.01, X + 0.01, Y + 0.02)),
        feature("440304002001002", "", square(X, Y + 0.015, X + 0.01, Y + 0.02)),  # no name, overlaps G3
        {"type": "Point"},
    ]
    problems = refused(
        exported,
        codes=[
            "outside_community",
            "unknown_community",
            "bad_code",
            "duplicate_code",
            "bad_name",
            "bad_feature",
            "overlap",
            "gap",
        ],
    )
    assert [p.number for p in problems] == [3, 5, 6, 7, 8, 9, 8, None]


def test_it_checks_codes_against_the_properties(world, exported) -> None:
    edit(exported, world.g1.code, parent_code="440304001002")
    edit(exported, world.g2.code, level="community")
    refused(exported, codes=["code_mismatch", "bad_level"])


@pytest.mark.parametrize(
    ("source", "code"),
    [
        (b"{not json", "bad_json"),
        (b'{"type": "Feature"}', "bad_collection"),
        (b'{"type": "FeatureCollection", "features": []}', "bad_collection"),
    ],
)
def test_it_reports_a_file_that_is_not_a_feature_collection(world, source, code) -> None:
    refused(source, codes=[code])


def test_it_limits_an_import_to_the_importers_area(world, exported) -> None:
    before = snapshot()
    report = import_grids(exported, within=world.s2.code)
    assert [(p.code, p.region_code) for p in report.problems] == [
        ("out_of_area", code) for code in [*C1_GRIDS, world.g4.code]
    ]
    assert snapshot() == before


def test_it_keeps_a_grid_without_a_boundary(world, exported) -> None:
    exported["features"].append(feature("440304002001002", "无边界网格", None))
    report = import_grids(exported)
    assert (report.problems, report.created) == ([], ["440304002001002"])
    assert Region.objects.get(code="440304002001002").boundary is None
    assert export_grids(within=world.c3.code)["features"][1]["geometry"] is None
