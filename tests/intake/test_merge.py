"""Merging a duplicate into the original, end to end; a corrected category becomes a labelled example."""

from __future__ import annotations

import pytest

from shequ.core.errors import InvalidTransition, PermissionDenied
from shequ.events import actions
from shequ.events.models import Category, Channel, Event, Status
from shequ.intake import versions
from shequ.intake.duplicates import find
from tests.world import World

pytestmark = pytest.mark.django_db


def _two_reports(w: World) -> tuple[Event, Event]:
    lon, lat = w.point_in(w.g1)
    full = Category.objects.get(code="0106")
    original = actions.report(
        by=w.resident, channel=Channel.RESIDENT, description="楼下垃圾桶满了溢出来，没人收", lon=lon, lat=lat
    )
    actions.accept(original, by=w.community_staff, category=full)
    dup = actions.report(
        by=w.resident2, channel=Channel.RESIDENT, description="垃圾桶满溢好几天了，臭得很", lon=lon + 0.0002, lat=lat
    )
    return Event.objects.get(pk=original.pk), dup


def test_a_duplicate_is_found_and_merged_and_its_reporter_told(catalog_world: World):
    w = catalog_world
    original, dup = _two_reports(w)
    found = find(
        text=dup.description,
        category=Category.objects.get(code="0106"),
        lon=dup.lon,
        lat=dup.lat,
        user=w.community_staff,
        exclude=dup.pk,
    )
    assert [d.code for d in found] == [original.code]
    assert 0 < found[0].distance_m < 50
    actions.merge(dup, into=original, by=w.community_staff)
    dup.refresh_from_db()
    assert dup.status == Status.REJECTED and dup.merged_into == original and dup.reporter == w.resident2
    told = dup.timeline.get(action="merge")
    assert original.code in told.note
    assert original.timeline.filter(action="merged_in", note__contains=dup.code).count() == 1
    original.refresh_from_db()
    assert original.status == Status.ACCEPTED
    # the reporter reads the outcome on their own report (the API detail shows the timeline)
    from django.test import Client

    from tests.world import token_for

    client = Client(headers={"Authorization": f"Bearer {token_for(w.resident2)}"})
    detail = client.get(f"/api/events/{dup.code}").json()
    assert detail["status"] == "rejected"
    assert any(original.code in t["note"] for t in detail["timeline"] if t["action"] == "merge")


def test_merge_is_refused_outside_the_desk_and_nothing_changes(catalog_world: World):
    w = catalog_world
    original, dup = _two_reports(w)
    with pytest.raises(PermissionDenied):
        actions.merge(dup, into=original, by=w.community_staff_c3)
    dup.refresh_from_db()
    assert dup.status == Status.REPORTED and dup.merged_into is None
    assert not original.timeline.filter(action="merged_in").exists()


def test_merge_into_a_closed_or_merged_event_is_refused(catalog_world: World):
    w = catalog_world
    original, dup = _two_reports(w)
    actions.merge(dup, into=original, by=w.community_staff)
    third = actions.report(by=w.resident, channel=Channel.RESIDENT, description="垃圾桶满了", region=w.g1)
    with pytest.raises(InvalidTransition):
        actions.merge(third, into=dup, by=w.community_staff)


def test_a_changed_category_is_a_labelled_example(catalog_world: World):
    w = catalog_world
    original, _dup = _two_reports(w)
    litter = Category.objects.get(code="0101")
    actions.recategorize(original, by=w.community_staff, category=litter, note="其实是乱扔")
    assert original.timeline.filter(action="recategorize").count() == 1
    examples = versions.corrections_as_examples()
    assert [(e.text, e.code) for e in examples] == [(original.description, "0101")]
