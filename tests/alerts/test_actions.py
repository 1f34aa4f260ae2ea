"""The approval rules: two people, the right level and area, immutable once approved, one timeline row each."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shequ.access.models import Role
from shequ.alerts import actions
from shequ.alerts.actions import AlertInput
from shequ.alerts.models import Alert, AlertEntry, MsgType, State
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied
from tests.world import user

from .conftest import approved, building_at, draft, resident_in


def _actions(alert: Alert) -> list[str]:
    return list(AlertEntry.objects.filter(alert=alert).values_list("action", flat=True))


def test_the_composer_cannot_approve_alone(world):
    alert = actions.submit(draft(world.community_staff, regions=[world.c1]), by=world.community_staff)
    with pytest.raises(PermissionDenied) as caught:
        actions.approve(alert, by=world.community_staff)
    assert "第二" in caught.value.message  # Chinese: a second person must approve
    alert.refresh_from_db()
    assert (alert.state, alert.approver, alert.sent) == (State.PENDING, None, None)
    assert _actions(alert) == ["compose", "submit"]


def test_the_submitter_cannot_approve_either(world, staff_c1b):
    # An imported draft with no composer: whoever submits it still needs a second person.
    alert = draft(world.community_staff, regions=[world.c1])
    Alert.objects.filter(pk=alert.pk).update(composer=None)
    alert.refresh_from_db()
    actions.submit(alert, by=staff_c1b)
    with pytest.raises(PermissionDenied):
        actions.approve(alert, by=staff_c1b)
    assert actions.approve(alert, by=world.community_staff).state == State.APPROVED


def test_a_second_person_in_the_area_approves(world, staff_c1b):
    resident_in(building_at(world.g1, 114.052, 22.545))
    alert = approved(world.community_staff, staff_c1b, regions=[world.c1])
    assert (alert.state, alert.approver, alert.target_residents) == (State.APPROVED, staff_c1b, 1)
    assert alert.sent == alert.approved_at
    assert _actions(alert) == ["compose", "submit", "approve"]
    assert list(Alert.objects.current()) == [alert]


def test_an_approver_from_outside_the_area_is_refused(world):
    alert = actions.submit(draft(world.community_staff, regions=[world.c1]), by=world.community_staff)
    for outsider in (world.community_staff_c3, world.street_dispatcher_s2):
        with pytest.raises(PermissionDenied):
            actions.approve(alert, by=outsider)
    alert.refresh_from_db()
    assert alert.state == State.PENDING
    assert actions.approve(alert, by=world.street_dispatcher).approver == world.street_dispatcher


def test_an_approver_below_the_composers_level_is_refused(world):
    alert = actions.submit(draft(world.street_dispatcher, regions=[world.c1]), by=world.street_dispatcher)
    with pytest.raises(PermissionDenied):
        actions.approve(alert, by=world.community_staff)
    assert actions.approve(alert, by=world.district_dispatcher).state == State.APPROVED


def test_grid_workers_and_residents_cannot_compose(world):
    for who in (world.grid_worker, world.resident, world.handler):
        with pytest.raises(PermissionDenied):
            draft(who, regions=[world.g1])
    assert not Alert.objects.exists()


def test_an_area_outside_ones_own_is_refused(world):
    with pytest.raises(PermissionDenied):
        draft(world.community_staff, regions=[world.c3])
    with pytest.raises(PermissionDenied):
        draft(world.community_staff, circle_lon=114.055, circle_lat=22.555, circle_radius_km=0.3)  # in C3
    assert not Alert.objects.exists()


def test_the_area_must_be_given_once(world):
    with pytest.raises(InvalidInput):
        draft(world.community_staff)
    with pytest.raises(InvalidInput):
        draft(world.community_staff, regions=[world.c1], circle_lon=114.05, circle_lat=22.54, circle_radius_km=1)
    with pytest.raises(InvalidInput):
        draft(world.community_staff, circle_lon=114.05, circle_lat=22.54, circle_radius_km=0)
    assert not Alert.objects.exists()


def test_an_approved_alert_cannot_be_edited(world, staff_c1b):
    alert = approved(world.community_staff, staff_c1b, regions=[world.c1])
    data = AlertInput.from_alert(alert)
    changed = AlertInput(**{**data.__dict__, "headline": "改过的标题"})
    with pytest.raises(InvalidTransition):
        actions.edit(alert, by=world.community_staff, data=changed)
    with pytest.raises(InvalidTransition):
        actions.submit(alert, by=world.community_staff)
    alert.refresh_from_db()
    assert alert.headline != "改过的标题"
    assert _actions(alert) == ["compose", "submit", "approve"]


def test_a_pending_alert_cannot_be_edited_and_only_the_composer_edits_a_draft(world, staff_c1b):
    alert = draft(world.community_staff, regions=[world.c1])
    data = AlertInput(**{**AlertInput.from_alert(alert).__dict__, "headline": "别人改的"})
    with pytest.raises(PermissionDenied):
        actions.edit(alert, by=staff_c1b, data=data)
    actions.submit(alert, by=world.community_staff)
    with pytest.raises(InvalidTransition):
        actions.edit(alert, by=world.community_staff, data=data)
    alert.refresh_from_db()
    assert alert.headline != "别人改的"


def test_reject_needs_a_reason_and_the_composer_revises(world, staff_c1b):
    alert = actions.submit(draft(world.community_staff, regions=[world.c1]), by=world.community_staff)
    with pytest.raises(InvalidInput):
        actions.reject(alert, by=staff_c1b, reason="  ")
    alert = actions.reject(alert, by=staff_c1b, reason="范围太大")
    assert (alert.state, alert.reject_reason) == (State.REJECTED, "范围太大")
    data = AlertInput(**{**AlertInput.from_alert(alert).__dict__, "regions": [world.g1]})
    alert = actions.edit(alert, by=world.community_staff, data=data)
    assert (alert.state, alert.area_code) == (State.DRAFT, world.g1.code)
    assert _actions(alert) == ["compose", "submit", "reject", "edit"]


def test_an_expired_alert_cannot_be_submitted(world):
    data = AlertInput(
        event="停水", headline="停水", area_desc="一社区", regions=[world.c1],
        effective=clock.now() - timedelta(days=2), expires=clock.now() - timedelta(days=1),
    )  # fmt: skip
    alert = actions.compose(by=world.community_staff, data=data)
    with pytest.raises(InvalidInput):
        actions.submit(alert, by=world.community_staff)
    alert.refresh_from_db()
    assert alert.state == State.DRAFT


def test_an_update_replaces_the_original_only_once_approved(world, staff_c1b):
    original = approved(world.community_staff, staff_c1b, regions=[world.c1])
    update = actions.update(original, by=world.community_staff)
    assert (update.msg_type, update.state, list(update.references.all())) == (MsgType.UPDATE, State.DRAFT, [original])
    assert list(Alert.objects.current()) == [original]
    actions.approve(actions.submit(update, by=world.community_staff), by=staff_c1b)
    original.refresh_from_db()
    assert original.superseded_by == update
    assert list(Alert.objects.current()) == [update]
    with pytest.raises(InvalidTransition):
        actions.update(original, by=world.community_staff)  # replaced: update the latest instead


def test_a_cancel_ends_the_chain(world, staff_c1b):
    original = approved(world.community_staff, staff_c1b, regions=[world.c1])
    with pytest.raises(InvalidInput):
        actions.cancel(original, by=world.community_staff, reason="")
    cancel = actions.cancel(original, by=world.community_staff, reason="解除预警")
    assert _actions(cancel) == ["compose", "cancel"]
    actions.approve(actions.submit(cancel, by=world.community_staff), by=staff_c1b)
    assert not Alert.objects.current().exists()
    cancel.refresh_from_db()
    with pytest.raises(InvalidTransition):
        actions.cancel(cancel, by=world.community_staff, reason="再取消")


def test_an_administrator_may_approve_anything_but_not_their_own(world):
    admin2 = user("admin2", Role.ADMIN)
    alert = actions.submit(draft(world.admin, regions=[world.district]), by=world.admin)
    with pytest.raises(PermissionDenied):
        actions.approve(alert, by=world.district_dispatcher)  # the district level is below an administrator
    assert actions.approve(alert, by=admin2).state == State.APPROVED
