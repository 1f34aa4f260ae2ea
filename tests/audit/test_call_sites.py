"""The other apps' writes, exports and grant changes land in the trail, with who and from where."""

from __future__ import annotations

from django.test import Client

from shequ.access.models import Role
from shequ.audit.models import AuditEntry
from shequ.events import actions as events
from shequ.registry import actions as registry
from shequ.registry.actions import MANUAL


def test_a_registry_write_is_an_entry_naming_the_changed_fields(world):
    person = registry.create_person(by=world.community_staff, source=MANUAL, name="周杰", phone="13600136000")
    registry.update_person(person, by=world.community_staff, source=MANUAL, phone="13600136001")
    writes = AuditEntry.objects.filter(action="write", target_type="registry.person", target_id=str(person.pk))
    assert [sorted(e.fields) for e in writes.order_by("sequence")] == [["name", "phone"], ["phone"]]
    assert {e.actor_id for e in writes} == {world.community_staff.pk}
    assert writes.first().detail == {"source": "manual", "ref": ""}


def test_an_event_action_is_an_entry_with_the_events_area(world):
    lon, lat = world.point_in(world.g1)
    event = events.report(by=world.resident, channel="resident", description="路灯不亮", lon=lon, lat=lat)
    entry = AuditEntry.objects.get(action="write", target_type="events.event", target_id=str(event.pk))
    assert (entry.actor_id, entry.area_code, entry.detail["action"]) == (world.resident.pk, event.area_code, "report")


def test_a_download_is_an_export_entry_and_a_preview_is_not(world):
    client = Client()
    client.force_login(world.community_staff)
    assert client.get("/registry/export/?record=person").status_code == 200
    assert not AuditEntry.objects.filter(action="export").exists()
    response = client.get("/registry/export/download/?record=person&format=csv")
    b"".join(response.streaming_content)
    entry = AuditEntry.objects.get(action="export")
    assert (entry.actor_id, entry.target_type, entry.channel) == (world.community_staff.pk, "registry.person", "page")
    assert entry.area_code == world.c1.code and "person.name" in entry.fields


def test_a_role_change_is_a_grant_change_with_before_and_after(world):
    user = world.grid_worker
    user.role = Role.COMMUNITY_STAFF
    user.save()
    entry = AuditEntry.objects.filter(action="grant_change", target_id=str(user.pk)).latest("sequence")
    assert entry.fields == ["role"]
    assert (entry.detail["before"]["role"], entry.detail["after"]["role"]) == ("grid_worker", "community_staff")
    user.save()  # saving again changes no grant: no entry
    assert AuditEntry.objects.filter(action="grant_change", target_id=str(user.pk)).latest("sequence") == entry
