"""Care: the needs list from the base's tags, visit plans by risk, visits with a location check, findings that
open an event or an order, missed visits (frozen clock), and the door for other apps (request_care_visit)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from shequ.events.models import Event
from shequ.registry import actions as registry
from shequ.services import actions as services
from shequ.services.care import actions, queries
from shequ.services.models import CareSubject, CareTask, CareVisit, Risk, VisitInterval, Wellbeing

from .conftest import NOW, resident


@pytest.fixture
def tagged(world, people):
    """Zhang lives alone and is disabled (high risk), Li is an empty-nester (low), Wang (G3) lives alone."""
    for person, code in (
        (people.zhang, "elderly_alone"),
        (people.zhang, "disabled"),
        (people.li, "empty_nest"),
        (people.wang, "elderly_alone"),
    ):
        registry.tag(person, code, since=date(2025, 1, 1), by=None, source=registry.MANUAL)
    return people


def test_the_needs_list_comes_from_the_tags_with_a_risk_and_a_first_visit(world, tagged, now):
    built = actions.build_needs_list(region=world.c1, by=world.community_staff)
    assert (built.added, built.updated, built.removed) == (2, 0, 0)
    zhang = CareSubject.objects.get(person=tagged.zhang)
    assert (zhang.risk, zhang.tags, zhang.grid) == (Risk.HIGH, ["disabled", "elderly_alone"], world.g1)
    assert CareSubject.objects.get(person=tagged.li).risk == Risk.LOW
    tasks = CareTask.objects.filter(subject=zhang)
    assert [(t.due, t.worker) for t in tasks] == [(NOW.date(), world.grid_worker)]
    assert actions.build_needs_list(region=world.c1, by=world.community_staff).added == 0  # again: nothing new
    assert CareTask.objects.count() == 2
    with pytest.raises(PermissionDenied):
        actions.build_needs_list(region=world.c1, by=world.community_staff_c3)
    registry.untag(tagged.li, "empty_nest", by=None, source=registry.MANUAL)
    assert actions.build_needs_list(region=world.c1, by=world.community_staff).removed == 1
    assert not CareSubject.objects.get(person=tagged.li).active
    assert not queries.open_tasks(CareTask.objects.filter(subject__person=tagged.li)).exists()


def test_a_visit_in_the_right_grid_plans_the_next_by_risk(world, tagged, now):
    actions.build_needs_list(region=world.c1, by=world.community_staff)
    task = queries.my_tasks(world.grid_worker).get(subject__person=tagged.zhang)
    with pytest.raises(PermissionDenied):
        actions.record_visit(task, by=world.grid_worker_g2, wellbeing=Wellbeing.GOOD)
    with pytest.raises(InvalidInput):
        actions.record_visit(task, by=world.grid_worker, wellbeing=Wellbeing.CONCERN, findings="")
    lon, lat = world.point_in(world.g1)
    visit = actions.record_visit(task, by=world.grid_worker, wellbeing=Wellbeing.GOOD, lon=lon, lat=lat)
    assert (visit.location_ok, visit.located_grid) == (True, world.g1.code)
    nxt = queries.my_tasks(world.grid_worker).get(subject__person=tagged.zhang)
    assert nxt.due == NOW.date() + timedelta(days=7)  # high risk: weekly
    with pytest.raises(InvalidTransition):
        actions.record_visit(task, by=world.grid_worker, wellbeing=Wellbeing.GOOD)
    # A position in another grid is recorded, and flagged.
    lon2, lat2 = world.point_in(world.g2)
    other = actions.record_visit(nxt, by=world.grid_worker, wellbeing=Wellbeing.GOOD, lon=lon2, lat=lat2)
    assert (other.location_ok, other.located_grid) == (False, world.g2.code)


def test_the_interval_per_risk_is_configurable(world, tagged, now):
    VisitInterval.objects.filter(risk=Risk.LOW).update(days=60)
    actions.build_needs_list(region=world.c1, by=world.community_staff)
    task = queries.my_tasks(world.grid_worker).get(subject__person=tagged.li)
    actions.record_visit(task, by=world.grid_worker, wellbeing=Wellbeing.GOOD)
    assert queries.my_tasks(world.grid_worker).get(subject__person=tagged.li).due == NOW.date() + timedelta(days=60)
    subject = CareSubject.objects.get(person=tagged.li)
    actions.set_risk(subject, by=world.community_staff, risk=Risk.HIGH, needs="行动不便")
    assert queries.my_tasks(world.grid_worker).get(subject__person=tagged.li).due == NOW.date() + timedelta(days=7)


def test_a_finding_opens_an_event_and_an_order(world, tagged, providers, now):
    actions.build_needs_list(region=world.c1, by=world.community_staff)
    task = queries.my_tasks(world.grid_worker).get(subject__person=tagged.zhang)
    followup = actions.Followup(event_text="楼道灯坏了，老人夜里出门不便", service=providers.meals)
    visit = actions.record_visit(
        task, by=world.grid_worker, wellbeing=Wellbeing.CONCERN, findings="独居，做饭困难", followup=followup
    )
    assert visit.event is not None and visit.event.grid == world.g1
    assert visit.event.channel == "grid_worker" and "楼道灯坏了" in visit.event.description
    assert visit.order is not None and visit.order.beneficiary == tagged.zhang
    assert visit.order.ordered_by == world.grid_worker and visit.order.provider == providers.care
    assert task.timeline.filter(action="follow_up").exists()


def test_a_missed_visit_is_overdue_then_escalated(world, tagged, now):
    actions.build_needs_list(region=world.c1, by=world.community_staff)
    # Due Monday 1 June. Tuesday: overdue for the worker. Three working days after the due day (Thursday) passed:
    # Friday, escalated to the community.
    with clock.frozen(NOW + timedelta(days=1)):
        assert actions.mark_missed() == (2, 0)
        assert actions.mark_missed() == (0, 0)
    assert queries.my_tasks(world.grid_worker).filter(overdue=True).count() == 2
    assert not queries.escalated(world.community_staff).exists()
    with clock.frozen(NOW + timedelta(days=3)):
        assert actions.mark_missed() == (0, 0)
    with clock.frozen(NOW + timedelta(days=4)):
        assert actions.mark_missed() == (0, 2)
    assert queries.escalated(world.community_staff).count() == 2
    assert not queries.escalated(world.community_staff_c3).exists()
    task = CareTask.objects.filter(subject__person=tagged.zhang).get()
    assert list(task.timeline.values_list("action", flat=True)) == ["open", "overdue", "escalate"]


def test_escalation_counts_working_days(world, tagged):
    # Due Friday 29 May 2026: Mon 1, Tue 2, Wed 3 June are the three working days; escalated on Thursday 4 June.
    friday = timezone.make_aware(datetime(2026, 5, 29, 9, 0))
    with clock.frozen(friday):
        actions.build_needs_list(region=world.c1, by=world.community_staff)
    with clock.frozen(timezone.make_aware(datetime(2026, 6, 3, 12, 0))):
        assert actions.mark_missed() == (2, 0)
    with clock.frozen(timezone.make_aware(datetime(2026, 6, 4, 9, 0))):
        assert actions.mark_missed() == (0, 2)


def test_other_apps_request_a_visit_once_per_source(world, people, now):
    task = services.request_care_visit(person=people.li, reason="12小时无活动", source="devices:alarm:7")
    assert task.is_open and task.due == NOW.date() and task.worker == world.grid_worker
    assert task.subject.risk == Risk.HIGH and task.subject.tags == []
    again = services.request_care_visit(person=people.li, reason="12小时无活动", source="devices:alarm:7")
    assert again.pk == task.pk and CareTask.objects.count() == 1
    other = services.request_care_visit(person=people.li, reason="水表读数为零", source="devices:alarm:8")
    assert other.pk != task.pk
    actions.record_visit(task, by=world.grid_worker, wellbeing=Wellbeing.GOOD)
    assert services.request_care_visit(person=people.li, reason="再次", source="devices:alarm:7").pk != task.pk
    gone = resident(world.g1, "赵六", room="109")
    registry.move_out(gone.residences.get(), until=NOW.date() - timedelta(days=1), by=None, source=registry.MANUAL)
    with pytest.raises(NotFound):
        services.request_care_visit(person=gone, reason="无活动", source="devices:alarm:9")
    with pytest.raises(InvalidInput):
        services.request_care_visit(person=people.li, reason=" ", source="x")
    assert not CareVisit.objects.filter(subject__person=gone).exists()
    assert Event.objects.count() == 0


def test_the_devices_seam_opens_a_task_for_a_dwellings_resident(world, tagged, now):
    """``open_care_task`` is what ``SHEQU_DEVICE_CARE_TASKS`` points to: a dwelling (or its id) finds its resident."""
    from django.utils.module_loading import import_string

    from shequ.registry.queries import current_residences

    open_care_task = import_string("shequ.services.care.actions.open_care_task")
    dwelling = current_residences().get(person=tagged.zhang).dwelling
    task = open_care_task(dwelling=dwelling, reason="12小时无活动", source="devices:alarm:20", device=object())
    assert task is not None and task.subject.person == tagged.zhang and task.worker == world.grid_worker
    assert open_care_task(dwelling=dwelling.pk, reason="12小时无活动", source="devices:alarm:20").pk == task.pk
    li = open_care_task(person=tagged.li, reason="水表读数为零", source="devices:alarm:21")
    assert li.subject.person == tagged.li
    empty = resident(world.g1, "空户", room="110")
    room = current_residences().get(person=empty).dwelling
    registry.move_out(empty.residences.get(), until=NOW.date() - timedelta(days=1), by=None, source=registry.MANUAL)
    assert open_care_task(dwelling=room, reason="无活动", source="devices:alarm:22") is None
    with pytest.raises(InvalidInput):
        open_care_task(reason="无活动", source="devices:alarm:23")
    assert CareTask.objects.filter(kind="request").count() == 2


def test_scopes(world, tagged, now):
    actions.build_needs_list(region=world.c1, by=world.community_staff)
    actions.build_needs_list(region=world.c3, by=world.community_staff_c3)
    assert {s.person for s in queries.subjects_for(world.grid_worker)} == {tagged.zhang, tagged.li}
    assert not queries.subjects_for(world.grid_worker_g2).exists()
    assert {s.person for s in queries.subjects_for(world.community_staff_c3)} == {tagged.wang}
    for outsider in (world.resident, world.handler):
        assert not queries.subjects_for(outsider).exists() and not queries.tasks_for(outsider).exists()
    with pytest.raises(NotFound):
        queries.get_subject_for(world.grid_worker, CareSubject.objects.get(person=tagged.wang).pk)
