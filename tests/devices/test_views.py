"""The device pages: list with search and filters, detail with recent messages (plates masked below L3), the rule
table, import (all or nothing) and export, car parks and the watch list, the map layer, parking in the portal."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shequ.core import clock
from shequ.devices.importing import COLUMNS
from shequ.devices.models import Device, Rule, WatchedPlate

from .conftest import iso, post

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_list_searches_filters_and_counts_per_grid_and_owner(site):
    staff = client_for(site.world.community_staff)
    page = staff.get("/devices/")
    assert page.status_code == 200 and page.context["page"].paginator.count == 11
    assert staff.get("/devices/?type=smoke_detector").context["page"].paginator.count == 1
    assert staff.get("/devices/?q=SD-0").context["page"].paginator.count == 1
    assert staff.get("/devices/?status=offline").context["page"].paginator.count == 0
    assert "没有符合条件的设备" in staff.get("/devices/?q=nothing-like-it").content.decode()
    per_owner = staff.get("/devices/?by=owner").context["overview"]
    assert per_owner == [{"owner_unit__name": "幸福物业", "total": 11, "active": 11, "offline": 0}]
    # outside the area: nothing
    assert client_for(site.world.community_staff_c3).get("/devices/").context["page"].paginator.count == 0


def test_the_detail_masks_plates_below_l3(site):
    post(
        Client(),
        site,
        "vehicle_gate",
        {"type": "plate", "plate": "粤B12345", "direction": "in", "at": iso(clock.now())},
    )
    code = site.device("vehicle_gate").code
    clear = client_for(site.world.community_staff).get(f"/devices/{code}/").content.decode()
    assert "plate=粤B12345" in clear
    masked = client_for(site.world.street_dispatcher).get(f"/devices/{code}/").content.decode()
    assert "粤B12345" not in masked and "plate=粤B***45" in masked
    api = Client(headers={}).get(f"/api/devices/{code}")
    assert api.status_code == 401
    assert client_for(site.world.community_staff_c3).get(f"/devices/{code}/").status_code == 404


def test_the_rule_table_is_changed_by_the_district_only(site):
    staff = client_for(site.world.community_staff)
    assert staff.get("/devices/rules/").status_code == 200
    assert staff.get("/devices/rules/new/").status_code == 404
    district = client_for(site.world.district_dispatcher)
    rule = site.rules["smoke"]
    form = district.get(f"/devices/rules/{rule.pk}/")
    assert form.status_code == 200
    data = {k: v for k, v in form.context["form"].initial.items() if v is not None and v is not False}
    data.update(category=site.fire.pk, level=site.world.urgent.pk, quiet_minutes=5, active="on")
    resp = district.post(f"/devices/rules/{rule.pk}/", data)
    assert resp.status_code == 302, resp.context["form"].errors if resp.context else resp
    assert Rule.objects.get(pk=rule.pk).quiet_minutes == 5
    bad = district.post("/devices/rules/new/", {**data, "operator": "gt", "value": "many"})
    assert bad.status_code == 200 and "请与数字比较" in bad.content.decode()


def _csv(rows: list[dict]) -> SimpleUploadedFile:
    headers = [h for h, _a in COLUMNS]
    text = io.StringIO()
    text.write(",".join(headers) + "\n")
    for row in rows:
        text.write(",".join(row.get(h, "") for h in headers) + "\n")
    return SimpleUploadedFile("devices.csv", text.getvalue().encode(), content_type="text/csv")


def test_an_import_is_all_or_nothing_with_every_rejected_row(site):
    staff = client_for(site.world.community_staff)
    good = {
        "编码": "SD-101",
        "名称": "新烟感",
        "类型": "烟感探测器",
        "楼栋地址": "一网格幸福路5栋",
        "房号": "502",
        "权属": "物业公司",
    }
    rows = [
        good,
        {**good, "编码": "SD-102", "楼栋地址": "没有这栋楼"},
        {**good, "编码": "SD-001"},  # exists
        {**good, "编码": "SD 103"},  # a space
        {**good, "编码": "SD-104", "类型": "雷达"},
    ]
    resp = staff.post("/devices/import/", {"file": _csv(rows)})
    outcome = resp.context["outcome"]
    assert [n for n, _r in outcome.rejected] == [3, 4, 5, 6]
    assert all(reason for _n, reason in outcome.rejected)
    assert not Device.objects.filter(code="SD-101").exists()
    resp = staff.post("/devices/import/", {"file": _csv([good, {**good, "编码": "SD-105", "房号": ""}])})
    assert len(resp.context["outcome"].created) == 2 and "SD-105" in resp.content.decode()
    assert Device.objects.get(code="SD-101").dwelling == site.dwelling
    exported = staff.get("/devices/export.csv")
    assert exported.status_code == 200 and "SD-105" in exported.content.decode("utf-8-sig")
    xlsx = staff.get("/devices/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client_for(site.world.grid_worker).get("/devices/import/").status_code == 404


def test_the_watch_list_page(site):
    staff = client_for(site.world.community_staff)
    resp = staff.post("/devices/car-parks/", {"plate": "粤B66666", "reason": "占用消防通道"})
    assert resp.status_code == 302 and WatchedPlate.objects.get().area_code == site.world.c1.code
    page = staff.get("/devices/car-parks/").content.decode()
    assert "粤B66666" in page and "幸福停车场" in page
    staff.post("/devices/car-parks/", {"unwatch": WatchedPlate.objects.get().pk})
    assert not WatchedPlate.objects.get().active


def test_the_map_layer_and_parking_in_the_portal(site):
    data = client_for(site.world.grid_worker).get("/devices/map.json").json()
    assert len(data["features"]) == 11 and data["features"][0]["properties"]["status"] == "active"
    assert client_for(site.world.grid_worker).get("/map/").status_code == 200
    portal = client_for(site.world.resident).get("/portal/parking/")
    assert portal.status_code == 200 and "幸福停车场" in portal.content.decode()
    assert Client().get("/portal/parking/").status_code == 302
