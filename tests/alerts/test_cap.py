"""Every message shequ writes validates against the OASIS CAP 1.2 schema; bad input names the element."""

from __future__ import annotations

import pytest
from lxml import etree

from shequ.alerts import actions, cap
from shequ.alerts.models import AlertTemplate, MsgType
from shequ.core.errors import InvalidInput

from .conftest import approved, draft

NS = {"cap": cap.NS}


def _parsed(alert) -> etree._Element:
    data = cap.to_xml(alert)
    assert cap.validate(data) == []
    return etree.fromstring(data)


@pytest.mark.parametrize("code", ["typhoon", "rainstorm", "gas-leak", "water-cut", "missing-person"])
def test_it_writes_valid_cap_for_every_template(world, staff_c1b, code):
    alert = approved(world.community_staff, staff_c1b, template=code, regions=[world.c1])
    root = _parsed(alert)
    template = AlertTemplate.objects.get(code=code)
    assert root.tag == f"{{{cap.NS}}}alert"
    assert root.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert root.findtext("cap:info/cap:language", namespaces=NS) == "zh-CN"
    assert root.findtext("cap:info/cap:event", namespaces=NS) == template.event
    assert root.findtext("cap:info/cap:area/cap:geocode/cap:value", namespaces=NS) == world.c1.code
    assert root.findtext("cap:sent", namespaces=NS) == cap.cap_time(alert.sent)


def test_it_writes_the_polygon_as_a_closed_lat_lon_ring(world, staff_c1b):
    ring = [[114.051, 22.541], [114.054, 22.541], [114.054, 22.544], [114.051, 22.544]]
    alert = approved(world.community_staff, staff_c1b, polygon={"type": "Polygon", "coordinates": [ring]})
    text = _parsed(alert).findtext("cap:info/cap:area/cap:polygon", namespaces=NS)
    points = text.split()
    assert points[0] == points[-1] == "22.541000,114.051000"
    assert len(points) == 5


def test_it_writes_the_circle_as_lat_lon_radius(world, staff_c1b):
    alert = approved(world.community_staff, staff_c1b, circle_lon=114.052, circle_lat=22.543, circle_radius_km=0.3)
    assert _parsed(alert).findtext("cap:info/cap:area/cap:circle", namespaces=NS) == "22.543000,114.052000 0.3"


def test_update_and_cancel_reference_the_original(world, staff_c1b):
    original = approved(world.community_staff, staff_c1b, regions=[world.c1])
    update = actions.update(original, by=world.community_staff)
    actions.approve(actions.submit(update, by=world.community_staff), by=staff_c1b)
    cancel = actions.cancel(update, by=world.community_staff, reason="台风已过境")
    cancel = actions.approve(actions.submit(cancel, by=world.community_staff), by=staff_c1b)

    update.refresh_from_db()
    up_root = _parsed(update)
    assert up_root.findtext("cap:msgType", namespaces=NS) == MsgType.UPDATE
    assert up_root.findtext("cap:references", namespaces=NS) == original.cap_reference
    cancel_root = _parsed(cancel)
    assert cancel_root.findtext("cap:msgType", namespaces=NS) == MsgType.CANCEL
    assert cancel_root.findtext("cap:note", namespaces=NS) == "台风已过境"
    assert set(cancel_root.findtext("cap:references", namespaces=NS).split()) == {
        original.cap_reference,
        update.cap_reference,
    }


def test_a_draft_previews_as_valid_cap(world):
    alert = draft(world.community_staff, regions=[world.g1])
    assert cap.validate(cap.to_xml(alert)) == []


# --- bad input -----------------------------------------------------------------------------------

GOOD = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{cap.NS}">
  <identifier>SZMB-2026-001</identifier>
  <sender>weather.sz.gov.cn</sender>
  <sent>2026-11-21T08:00:00+08:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>暴雨</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <headline>暴雨橙色预警</headline>
    <area><areaDesc>示范区</areaDesc></area>
  </info>
</alert>"""


def test_a_good_upstream_message_parses():
    incoming = cap.parse(GOOD.encode())
    assert (incoming.sender, incoming.identifier, incoming.severity) == ("weather.sz.gov.cn", "SZMB-2026-001", "Severe")


@pytest.mark.parametrize(
    ("broken", "element"),
    [
        (GOOD.replace("<urgency>Expected</urgency>", "<urgency>Soon</urgency>"), "<urgency>"),
        (GOOD.replace("    <urgency>Expected</urgency>\n", ""), "<urgency>"),
        (GOOD.replace("<sent>2026-11-21T08:00:00+08:00</sent>", "<sent>2026-11-21 08:00</sent>"), "<sent>"),
        (GOOD.replace("<msgType>Alert</msgType>", "<msgType>Notice</msgType>"), "<msgType>"),
        (
            GOOD.replace("<area><areaDesc>示范区</areaDesc></area>", "<area><polygon>1,2 3,4</polygon></area>"),
            "<areaDesc>",
        ),
        (
            GOOD.replace(
                "<areaDesc>示范区</areaDesc>", "<areaDesc>示范区</areaDesc><polygon>22.5,114.0 22.6,114.1</polygon>"
            ),
            "<polygon>",
        ),
    ],
)
def test_bad_input_names_the_element_in_chinese(broken, element):
    with pytest.raises(InvalidInput) as caught:
        cap.parse(broken.encode())
    assert element in caught.value.message
    assert "元素" in caught.value.message


def test_not_xml_and_wrong_root_are_refused_clearly():
    with pytest.raises(InvalidInput) as not_xml:
        cap.parse(b"<alert><oops></alert>")
    assert "XML" in not_xml.value.message
    with pytest.raises(InvalidInput) as wrong_root:
        cap.parse(GOOD.replace(cap.NS, "urn:oasis:names:tc:emergency:cap:1.1").encode())
    assert "<alert>" in wrong_root.value.message
