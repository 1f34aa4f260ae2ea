"""The grid management page: who may open it, export, and the dry run then confirmed import."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shequ.geo.models import Region
from tests.world import square

from .conftest import X, Y, feature, snapshot

URL = "/geo/grids/"


def upload(data: dict, name: str = "grids.geojson") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(data, ensure_ascii=False).encode(), "application/geo+json")


def split_g4(exported: dict, g4_code: str) -> dict:
    for f in exported["features"]:
        if f["id"] == g4_code:
            f["geometry"] = square(X + 0.01, Y, X + 0.015, Y + 0.01)
    exported["features"].append(feature("440304001002002", "五网格", square(X + 0.015, Y, X + 0.02, Y + 0.01)))
    return exported


@pytest.mark.parametrize(
    ("persona", "communities"),
    [
        ("admin", ["440304001001", "440304001002", "440304002001"]),
        ("district_dispatcher", ["440304001001", "440304001002", "440304002001"]),
        ("street_dispatcher", ["440304001001", "440304001002"]),
        ("street_dispatcher_s2", ["440304002001"]),
    ],
)
def test_it_lists_the_communities_in_the_managers_area(client, world, persona, communities) -> None:
    client.force_login(getattr(world, persona))
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'data-community="(\d+)"', html) == communities
    assert "先预检" in html


def test_it_counts_grids_per_community(client, world) -> None:
    client.force_login(world.street_dispatcher)
    html = client.get(URL).content.decode()
    assert re.findall(r'data-community="(\d+)" data-grids="(\d+)"', html) == [
        ("440304001001", "2"),
        ("440304001002", "1"),
    ]


@pytest.mark.parametrize("persona", ["grid_worker", "community_staff", "handler", "resident", "system"])
def test_it_hides_the_page_from_other_roles(client, world, persona) -> None:
    client.force_login(getattr(world, persona))
    assert client.get(URL).status_code == 404
    assert client.get(URL + "export.geojson").status_code == 404


def test_it_sends_anonymous_users_to_log_in(client, world) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/geo/grids/"


def test_it_exports_the_area_or_one_community(client, world) -> None:
    client.force_login(world.street_dispatcher)
    response = client.get(URL + "export.geojson")
    assert response["Content-Type"] == "application/geo+json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="grids-440304001.geojson"'
    assert [f["id"] for f in json.loads(response.content)["features"]] == [
        world.g1.code,
        world.g2.code,
        world.g4.code,
    ]
    one = client.get(URL + "export.geojson", {"community": world.c2.code})
    assert [f["id"] for f in json.loads(one.content)["features"]] == [world.g4.code]
    assert client.get(URL + "export.geojson", {"community": world.c3.code}).status_code == 404


def test_it_checks_then_imports(client, world, exported) -> None:
    client.force_login(world.district_dispatcher)
    before = snapshot()

    checked = client.post(URL, {"step": "dry_run", "file": upload(split_g4(exported, world.g4.code))})

    html = checked.content.decode()
    assert checked.status_code == 200
    assert 'data-ok="true"' in html
    assert "将新增 1 个，更新 1 个，无变化 3 个。" in html
    assert "确认导入" in html
    assert snapshot() == before
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html)[1]

    done = client.post(URL, {"step": "confirm", "token": token}, follow=True)

    assert done.redirect_chain == [(URL, 302)]
    assert "导入完成：新增 1 个网格，更新 1 个，无变化 3 个。" in done.content.decode()
    assert Region.objects.get(code="440304001002002").parent == world.c2
    # The checked file is used once.
    again = client.post(URL, {"step": "confirm", "token": token}, follow=True)
    assert "预检过的文件已失效，请重新上传并预检。" in again.content.decode()


def test_it_shows_every_problem_and_offers_no_import(client, world, exported) -> None:
    client.force_login(world.admin)
    for f in exported["features"]:
        if f["id"] == world.g1.code:
            f["geometry"] = square(X, Y, X + 0.004, Y + 0.01)
    exported["features"].append(feature("440304001009001", "九网格", square(X + 0.02, Y, X + 0.03, Y + 0.01)))
    before = snapshot()

    response = client.post(URL, {"step": "dry_run", "file": upload(exported)})

    html = response.content.decode()
    assert re.findall(r'data-problem="(\w+)"', html) == ["unknown_community", "gap"]
    assert "网格空隙" in html and "社区不存在" in html
    assert 'data-ok="false"' in html
    assert "确认导入" not in html
    assert snapshot() == before


def test_it_confines_a_street_dispatcher_to_their_street(client, world, exported) -> None:
    client.force_login(world.street_dispatcher_s2)
    response = client.post(URL, {"step": "dry_run", "file": upload(exported)})
    assert re.findall(r'data-problem="(\w+)"', response.content.decode()) == ["out_of_area"] * 3


def test_it_refuses_another_users_checked_file(client, world, exported) -> None:
    client.force_login(world.district_dispatcher)
    html = client.post(URL, {"step": "dry_run", "file": upload(split_g4(exported, world.g4.code))}).content.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html)[1]
    before = snapshot()

    client.force_login(world.admin)
    response = client.post(URL, {"step": "confirm", "token": token}, follow=True)

    assert "预检过的文件已失效" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("file", "error"),
    [
        (SimpleUploadedFile("grids.kml", b"<kml/>"), "请选择 .geojson 或 .json 文件。"),
        (None, "这个字段是必填项。"),
    ],
)
def test_it_refuses_a_file_of_the_wrong_kind(client, world, file, error) -> None:
    client.force_login(world.admin)
    data = {"step": "dry_run"} | ({"file": file} if file else {})
    html = client.post(URL, data).content.decode()
    assert error in html
    assert "预检结果" not in html


def test_it_reports_a_file_that_is_not_json(client, world) -> None:
    client.force_login(world.admin)
    html = client.post(URL, {"step": "dry_run", "file": SimpleUploadedFile("g.json", b"{oops")}).content.decode()
    assert re.findall(r'data-problem="(\w+)"', html) == ["bad_json"]
