"""Registering one device from the page and editing it: the same checks as an import row, the key shown once,
an audit row, and only staff who manage the building's area."""

from __future__ import annotations

import pytest

from shequ.audit.models import AuditEntry
from shequ.devices.ingest import hash_key
from shequ.devices.models import Device

from .test_views import client_for

pytestmark = pytest.mark.django_db

FORM = {
    "code": "SD-201",
    "name": "五楼烟感",
    "type": "smoke_detector",
    "building": "一网格幸福路5栋",
    "room": "502",
    "spot": "",
    "owner_kind": "property",
    "owner_unit": "G1-WY-D",
    "contact_phone": "13700000009",
    "heartbeat_seconds": "900",
}


def test_staff_register_a_device_and_see_its_key_once(site):
    staff = client_for(site.world.community_staff)
    page = staff.get("/devices/new/")
    assert page.status_code == 200 and "登记设备" in page.content.decode()
    resp = staff.post("/devices/new/", FORM, follow=True)
    device = Device.objects.get(code="SD-201")
    assert (device.dwelling, device.owner_unit, device.grid_id) == (site.dwelling, site.company, site.world.g1.pk)
    shown = [str(m) for m in resp.context["messages"]]
    key = shown[0].rsplit("：", 1)[-1].strip()
    assert device.key_hash == hash_key(key)  # the key works, and only its digest is kept
    assert AuditEntry.objects.filter(target_id=str(device.pk), detail__action="create_device").exists()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"building": "没有这栋楼"}, None, "楼栋"),
        ({"room": "999"}, None, "999"),
        ({"code": "SD 9"}, "code", "编码"),
        ({"code": "SD-001"}, None, "SD-001"),  # exists
        ({"owner_unit": "NOPE"}, None, "NOPE"),
    ],
)
def test_a_bad_device_is_refused_with_a_clear_message_and_nothing_made(site, change, field, words):
    staff = client_for(site.world.community_staff)
    before = Device.objects.count()
    resp = staff.post("/devices/new/", {**FORM, **change})
    assert resp.status_code == 200 and Device.objects.count() == before
    errors = resp.context["form"].errors
    assert words in " ".join(str(e) for e in errors.get(field or "__all__", [])), errors


def test_editing_keeps_the_code_and_moves_the_device(site):
    staff = client_for(site.world.community_staff)
    smoke = site.device("smoke_detector")
    form = staff.get(f"/devices/{smoke.code}/edit/").context["form"]
    assert form.initial["room"] == "502" and form.fields["code"].disabled
    resp = staff.post(f"/devices/{smoke.code}/edit/", {**FORM, "code": "CHANGED", "name": "改名烟感", "room": ""})
    assert resp.status_code == 302
    smoke.refresh_from_db()
    assert (smoke.code, smoke.name, smoke.dwelling) == ("SD-001", "改名烟感", None)


def test_only_staff_who_manage_the_area_register_or_edit(site):
    w = site.world
    assert client_for(w.handler).get("/devices/new/").status_code == 404  # a handling unit manages no area
    outsider = client_for(w.community_staff_c3)
    assert outsider.get(f"/devices/{site.device('smoke_detector').code}/edit/").status_code == 404
    resp = outsider.post("/devices/new/", FORM)
    assert not Device.objects.filter(code="SD-201").exists()
    assert "楼栋" in " ".join(str(e) for e in resp.context["form"].errors.get("__all__", []))
