"""Upstream CAP: import as a draft, or publish at once by a rule into the matching regions; updates and cancels
from upstream reference what came before."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from shequ.alerts import cap, targeting, upstream
from shequ.alerts.models import Alert, AlertEntry, Origin, State, UpstreamRule
from shequ.core.errors import InvalidInput

from .conftest import building_at, resident_in

SENDER = "weather.sz.gov.cn"


def message(
    identifier: str = "SZMB-1",
    *,
    msg_type: str = "Alert",
    severity: str = "Severe",
    event: str = "暴雨",
    area: str = "<areaDesc>深圳市</areaDesc>",
    references: str = "",
    expires: str = "2099-01-01T00:00:00+08:00",
) -> bytes:
    refs = f"<references>{references}</references>" if references else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{cap.NS}">
  <identifier>{identifier}</identifier><sender>{SENDER}</sender><sent>2026-11-21T08:00:00+08:00</sent>
  <status>Actual</status><msgType>{msg_type}</msgType><scope>Public</scope>{refs}
  <info>
    <language>zh-CN</language><category>Met</category><event>{event}</event><responseType>Avoid</responseType>
    <urgency>Expected</urgency><severity>{severity}</severity><certainty>Likely</certainty>
    <expires>{expires}</expires><senderName>深圳市气象台</senderName><headline>{event}橙色预警</headline>
    <description>未来3小时降雨量将达50毫米以上。</description>
    <area>{area}</area>
  </info>
</alert>""".encode()


@pytest.fixture
def rule(world):
    r = UpstreamRule.objects.create(name="气象台暴雨自动发布", sender=SENDER, event="暴雨", min_severity="Severe")
    r.regions.set([world.c1])
    return r


def test_without_a_rule_an_upstream_alert_waits_as_a_draft(world):
    alert = upstream.import_cap(message(), by=world.community_staff, source="szmb.xml")
    assert (alert.state, alert.origin, alert.composer) == (State.DRAFT, Origin.UPSTREAM, world.community_staff)
    assert (alert.sender, alert.identifier, alert.headline) == (SENDER, "SZMB-1", "暴雨橙色预警")
    assert not Alert.objects.current().exists()
    assert list(AlertEntry.objects.filter(alert=alert).values_list("action", "note")) == [("import", "szmb.xml")]


def test_a_matching_rule_publishes_into_its_regions(world, rule):
    inside = resident_in(building_at(world.g2, 114.057, 22.545))
    resident_in(building_at(world.g3, 114.055, 22.555))  # C3: not the rule's region
    alert = upstream.import_cap(message(), by=None)
    assert (alert.state, alert.rule, alert.approver) == (State.APPROVED, rule, None)
    assert list(alert.regions.all()) == [world.c1]
    assert (alert.area_code, alert.target_residents) == (world.c1.code, 1)
    assert list(Alert.objects.current()) == [alert]
    assert [e.action for e in alert.timeline.all()] == ["import", "auto_publish"]
    assert set(targeting.resolve(targeting.Area.of(alert)).residents.values_list("pk", flat=True)) == {inside.pk}
    assert cap.validate(cap.to_xml(alert)) == []  # re-served with its upstream sender, identifier and sent
    assert cap.to_xml(alert).count(b"<sent>2026-11-21T08:00:00+08:00</sent>") == 1


def test_a_rule_clips_the_upstream_polygon_to_its_regions(world, rule):
    # A polygon across C1 (rule region) and C3 north of it.
    ring = "22.548,114.051 22.548,114.059 22.558,114.059 22.558,114.051 22.548,114.051"
    area = f"<areaDesc>北部</areaDesc><polygon>{ring}</polygon>"
    in_c1 = resident_in(building_at(world.g1, 114.052, 22.549))
    in_c3 = resident_in(building_at(world.g3, 114.052, 22.552))
    alert = upstream.import_cap(message(area=area), by=None)
    assert alert.state == State.APPROVED
    got = set(targeting.resolve(targeting.Area.of(alert)).residents.values_list("pk", flat=True))
    assert got == {in_c1.pk}
    assert in_c3.pk not in got


def test_a_rule_does_not_publish_what_it_does_not_match(world, rule):
    weak = upstream.import_cap(message("SZMB-2", severity="Moderate"), by=None)
    other = upstream.import_cap(message("SZMB-3", event="大风"), by=None)
    away = upstream.import_cap(
        message(
            "SZMB-4",
            area=f"<areaDesc>三社区</areaDesc><geocode><valueName>GB/T 2260</valueName><value>{world.c3.code}</value>"
            "</geocode>",
        ),
        by=None,
    )
    exercise = upstream.import_cap(
        message("SZMB-6").replace(b"<status>Actual</status>", b"<status>Exercise</status>"), by=None
    )
    assert [a.state for a in (weak, other, away, exercise)] == [State.DRAFT] * 4
    assert list(away.regions.all()) == [world.c3]
    rule.active = False
    rule.save()
    assert upstream.import_cap(message("SZMB-5"), by=None).state == State.DRAFT


def test_an_upstream_update_and_cancel_replace_the_earlier_messages(world, rule):
    first = upstream.import_cap(message("SZMB-1"), by=None)
    ref = f"{SENDER},SZMB-1,2026-11-21T08:00:00+08:00 {SENDER},SZMB-0,2026-11-20T08:00:00+08:00"
    update = upstream.import_cap(message("SZMB-1U", msg_type="Update", references=ref), by=None)
    assert list(update.references.all()) == [first]
    assert update.external_references == f"{SENDER},SZMB-0,2026-11-20T08:00:00+08:00"
    first.refresh_from_db()
    assert first.superseded_by == update
    cancel = upstream.import_cap(
        message("SZMB-1C", msg_type="Cancel", references=f"{SENDER},SZMB-1U,2026-11-21T09:00:00+08:00"), by=None
    )
    assert cancel.state == State.APPROVED
    assert not Alert.objects.current().exists()


def test_a_message_imports_once(world):
    upstream.import_cap(message(), by=None)
    with pytest.raises(InvalidInput) as caught:
        upstream.import_cap(message(), by=None)
    assert caught.value.code == "cap_duplicate"
    assert Alert.objects.count() == 1


def test_an_invalid_message_imports_nothing(world, rule):
    with pytest.raises(InvalidInput) as caught:
        upstream.import_cap(message(severity="Terrible"), by=None)
    assert "<severity>" in caught.value.message
    assert not Alert.objects.exists()


def test_the_command_imports_files(world, rule, tmp_path, capsys):
    good = tmp_path / "good.xml"
    good.write_bytes(message())
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<nope/>")
    with pytest.raises(CommandError):
        call_command("import_cap", str(good), str(bad))
    out = capsys.readouterr()
    assert "SZMB-1 -> approved" in out.out
    assert "bad.xml" in out.err
    assert Alert.objects.get().state == State.APPROVED
