"""The rules of collection tasks, through the real actions: who makes tasks, what a form asks, what a submit writes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shequ.access.models import Role
from shequ.collection import actions
from shequ.collection.models import (
    CollectionTask,
    EntryKind,
    FieldConfirmation,
    ItemStatus,
    TaskEntry,
    TaskItem,
    TaskStatus,
)
from shequ.collection.queries import form_for, grid_coverage, worker_coverage
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from shequ.registry import actions as registry
from shequ.registry.models import Change, Person, SourceKind
from tests.world import user

from .conftest import NOW, resident

ALL_ASKED = ["id_number", "name", "gender", "birth_date", "phone", "ethnicity", "residency", "hukou_address"]


def task_for(world, grid=None, worker=None, **kwargs) -> CollectionTask:
    return actions.create_task(
        grid=grid or world.g1, assignee=worker or world.grid_worker, by=world.community_staff, **kwargs
    )


def item_of(task: CollectionTask, person: Person) -> TaskItem:
    return task.items.get(person=person)


def asked(item: TaskItem) -> list[str]:
    return [a.name for a in form_for(item)]


# --- making a task ---------------------------------------------------------------------------------


def test_it_lists_everyone_living_in_the_grid_now(world, people, now):
    gone = resident(world.g1, "赵六", room="103")
    registry.move_out(gone.residences.get(), by=None, source=registry.MANUAL)

    task = task_for(world, due=date(2026, 6, 30))

    assert sorted(task.items.values_list("person__name", flat=True)) == ["张三", "李四"]
    assert (task.status, task.assignee, task.created_by) == (TaskStatus.OPEN, world.grid_worker, world.community_staff)
    assert task.title == "一网格信息核查 2026-06-01"
    assert list(task.entries.values_list("kind", "note")) == [(EntryKind.CREATED, "2 人")]


@pytest.mark.parametrize("who", ["street_dispatcher", "district_dispatcher", "admin"])
def test_it_lets_higher_desks_make_tasks_in_their_area(world, people, now, who):
    task = actions.create_task(grid=world.g1, assignee=world.grid_worker, by=getattr(world, who))
    assert task.items.count() == 2


def test_it_hides_grids_outside_the_area(world, people, now):
    with pytest.raises(NotFound):
        actions.create_task(grid=world.g1, assignee=world.grid_worker, by=world.community_staff_c3)
    with pytest.raises(NotFound):
        actions.create_task(grid=world.c1, assignee=world.grid_worker, by=world.community_staff)  # not a grid
    assert CollectionTask.objects.count() == 0


def test_it_refuses_grid_workers_and_residents_as_creators(world, people, now):
    for who in (world.grid_worker, world.resident, world.handler):
        with pytest.raises(PermissionDenied):
            actions.create_task(grid=world.g1, assignee=world.grid_worker, by=who)
    assert CollectionTask.objects.count() == 0


def test_it_assigns_only_a_grid_worker_of_that_grid(world, people, now):
    for wrong in (world.grid_worker_g2, world.community_staff):
        with pytest.raises(InvalidInput) as e:
            task_for(world, worker=wrong)
        assert e.value.code == "not_grid_worker"
        assert e.value.field == "assignee"
    assert "不是一网格的网格员" in e.value.message
    assert CollectionTask.objects.count() == 0


def test_it_refuses_an_empty_grid_a_past_due_date_and_unknown_fields(world, people, now):
    g4_worker = user("gridworker4", Role.GRID_WORKER, region=world.g4)
    with pytest.raises(InvalidInput) as e:
        actions.create_task(grid=world.g4, assignee=g4_worker, by=world.street_dispatcher)
    assert e.value.code == "grid_empty"
    with pytest.raises(InvalidInput) as e:
        task_for(world, due=date(2026, 5, 31))
    assert e.value.code == "due_past"
    with pytest.raises(InvalidInput) as e:
        task_for(world, fields=["person.tags"])
    assert e.value.code == "unknown_field"
    assert CollectionTask.objects.count() == 0


# --- what a form asks ------------------------------------------------------------------------------


def test_it_asks_every_stale_or_missing_field_prefilled_from_the_base(world, people, now):
    item = item_of(task_for(world), people.zhang)
    form = {a.name: a for a in form_for(item)}

    assert list(form) == ALL_ASKED
    assert form["phone"].value == "13800138000" and not form["phone"].missing
    assert form["birth_date"].value == "1980-01-01"
    assert form["hukou_address"].value == "" and form["hukou_address"].missing
    assert form["ethnicity"].field.label == "民族"
    assert form["ethnicity"].choices[0] == ("01", "汉族")
    assert form["residency"].choices == (("registered", "户籍人口"), ("floating", "流动人口"), ("foreign", "境外人员"))


def test_it_asks_only_the_fields_the_task_collects(world, people, now):
    item = item_of(task_for(world, fields=["person.residency", "person.phone"]), people.li)
    assert asked(item) == ["phone", "residency"]


def test_it_skips_a_field_changed_recently_by_anyone(world, people, now):
    with clock.frozen(NOW - timedelta(days=10)):
        registry.update_person(people.zhang, by=None, source=registry.MANUAL, phone="13700137000")
    item = item_of(task_for(world), people.zhang)
    assert "phone" not in asked(item)
    assert "name" in asked(item)


def test_it_skips_fields_another_task_confirmed_within_the_window_and_asks_again_after(world, people, settings):
    settings.SHEQU_COLLECTION_FRESH_DAYS = 180
    with clock.frozen(NOW):
        first = task_for(world)
        actions.submit(item_of(first, people.li), by=world.grid_worker, all_correct=True)
    # A second task (another creator, another day) does not ask what the first confirmed.
    with clock.frozen(NOW + timedelta(days=179)):
        second = actions.create_task(grid=world.g1, assignee=world.grid_worker, by=world.street_dispatcher)
        assert asked(item_of(second, people.li)) == []
        assert len(asked(item_of(second, people.zhang))) == len(ALL_ASKED)  # zhang was not done in the first
    with clock.frozen(NOW + timedelta(days=181)):
        assert asked(item_of(second, people.li)) == ALL_ASKED
    settings.SHEQU_COLLECTION_FRESH_DAYS = 365
    with clock.frozen(NOW + timedelta(days=181)):
        assert asked(item_of(second, people.li)) == []


# --- submitting --------------------------------------------------------------------------------------


def form_values(item: TaskItem, **changes: str) -> dict[str, str]:
    return {**{a.name: a.value for a in form_for(item)}, **changes}


def test_it_writes_changes_with_the_task_as_source_and_confirms_every_field_asked(world, people, now):
    task = task_for(world)
    item = item_of(task, people.zhang)
    values = form_values(item, phone="139 0013 9001", hukou_address="北京市东城区一路1号", residency="registered")

    done = actions.submit(item, by=world.grid_worker, values=values)

    changes = Change.objects.filter(record_type="person", record_id=people.zhang.pk, at=NOW)
    assert sorted(changes.values_list("field", "old_value", "new_value")) == [
        ("hukou_address", None, "北京市东城区一路1号"),
        ("phone", "13800138000", "13900139001"),
        ("residency", None, "registered"),
    ]
    assert set(changes.values_list("source_kind", "source_ref", "actor")) == {
        (SourceKind.COLLECTION, str(task.pk), world.grid_worker.pk)
    }
    confirmed = FieldConfirmation.objects.filter(record_id=people.zhang.pk)
    assert sorted(confirmed.values_list("field", flat=True)) == sorted(ALL_ASKED)
    assert set(confirmed.values_list("task", "by", "confirmed_at")) == {(task.pk, world.grid_worker.pk, NOW)}
    item.refresh_from_db()
    assert (item.status, item.changed, item.done_at, item.by) == (ItemStatus.UPDATED, 3, NOW, world.grid_worker)
    assert item.asked == [f"person.{n}" for n in ALL_ASKED]
    assert done.task_completed is False
    people.zhang.refresh_from_db()
    assert (people.zhang.phone, people.zhang.residency) == ("13900139001", "registered")
    assert list(task.entries.values_list("kind", flat=True)) == [EntryKind.CREATED, EntryKind.ITEM_UPDATED]


def test_it_counts_a_confirmation_without_a_change(world, people, now):
    task = task_for(world)
    before = Change.objects.count()

    done = actions.submit(item_of(task, people.li), by=world.grid_worker, all_correct=True)

    assert Change.objects.count() == before
    assert done.item.status == ItemStatus.CONFIRMED and done.item.changed == 0
    assert FieldConfirmation.objects.filter(record_id=people.li.pk).count() == len(ALL_ASKED)
    assert [c.confirmed for c in grid_coverage(world.community_staff) if c.grid == world.g1] == [1]


def test_it_completes_the_task_with_its_last_item(world, people, now):
    task = task_for(world)
    actions.submit(item_of(task, people.li), by=world.grid_worker, all_correct=True)
    done = actions.submit(
        item_of(task, people.zhang), by=world.grid_worker, values=form_values(item_of(task, people.zhang))
    )

    task.refresh_from_db()
    assert done.task_completed and done.item.status == ItemStatus.CONFIRMED
    assert (task.status, task.closed_at) == (TaskStatus.COMPLETED, NOW)
    assert list(task.entries.values_list("kind", flat=True)) == [
        EntryKind.CREATED,
        EntryKind.ITEM_CONFIRMED,
        EntryKind.ITEM_CONFIRMED,
        EntryKind.COMPLETED,
    ]


def _nothing_written(person: Person, item: TaskItem, changes_before: int) -> None:
    item.refresh_from_db()
    assert item.status == ItemStatus.PENDING and item.done_at is None
    assert Change.objects.count() == changes_before
    assert FieldConfirmation.objects.count() == 0
    assert TaskEntry.objects.filter(item=item).count() == 0


def test_it_reports_every_bad_field_at_once_in_chinese_and_writes_nothing(world, people, now):
    item = item_of(task_for(world), people.zhang)
    before = Change.objects.count()
    values = form_values(item, phone="12345", birth_date="1980-13-01", ethnicity="99", id_number="110101198001010011")

    with pytest.raises(actions.FormInvalid) as e:
        actions.submit(item, by=world.grid_worker, values=values)

    assert e.value.errors == {
        "id_number": "公民身份号码校验位错误，请检查是否有数字录入错误。",
        "birth_date": "请按 1980-05-01 的格式填写日期。",
        "phone": "联系电话应为11位手机号码或带区号的固定电话。",
        "ethnicity": "请从列出的选项中选择。",
    }
    _nothing_written(people.zhang, item, before)


def test_it_reports_a_cross_field_error_from_the_registry(world, people, now):
    item = item_of(task_for(world), people.zhang)
    before = Change.objects.count()
    with pytest.raises(actions.FormInvalid) as e:
        actions.submit(
            item, by=world.grid_worker, values=form_values(item, birth_date="1981-01-01", phone="13500135000")
        )
    assert list(e.value.errors) == ["birth_date"]
    assert "1981-01-01" in e.value.errors["birth_date"]
    _nothing_written(people.zhang, item, before)
    people.zhang.refresh_from_db()
    assert people.zhang.phone == "13800138000"


def test_it_lets_only_the_assignee_submit_while_open_and_once(world, people, now):
    task = task_for(world)
    item = item_of(task, people.li)
    for who in (world.grid_worker_g2, world.community_staff):
        with pytest.raises(PermissionDenied):
            actions.submit(item, by=who, all_correct=True)
    actions.submit(item, by=world.grid_worker, all_correct=True)
    with pytest.raises(InvalidTransition) as e:
        actions.submit(item, by=world.grid_worker, all_correct=True)
    assert e.value.code == "item_done"
    actions.cancel_task(task, by=world.community_staff, reason="重新安排")
    with pytest.raises(InvalidTransition) as e:
        actions.submit(item_of(task, people.zhang), by=world.grid_worker, all_correct=True)
    assert e.value.code == "task_closed"
    assert FieldConfirmation.objects.filter(record_id=people.zhang.pk).count() == 0
    assert list(task.entries.values_list("kind", "note")) == [
        (EntryKind.CREATED, "2 人"),
        (EntryKind.ITEM_CONFIRMED, "李四"),
        (EntryKind.CANCELLED, "重新安排"),
    ]


def test_it_lets_only_staff_of_the_area_cancel(world, people, now):
    task = task_for(world)
    for who in (world.grid_worker, world.community_staff_c3):
        with pytest.raises(PermissionDenied):
            actions.cancel_task(task, by=who)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


# --- coverage ------------------------------------------------------------------------------------------


def test_it_counts_coverage_per_grid_and_per_worker(world, people, now):
    resident(world.g2, "钱七", room="202")
    task = task_for(world)
    g2_task = task_for(world, grid=world.g2, worker=world.grid_worker_g2)
    actions.submit(item_of(task, people.li), by=world.grid_worker, all_correct=True)
    later = NOW + timedelta(hours=2)
    with clock.frozen(later):
        actions.submit(item_of(g2_task, people.wang), by=world.grid_worker_g2, all_correct=True)

    grids = {(c.grid.name, c.people, c.confirmed, c.percent) for c in grid_coverage(world.community_staff)}
    assert grids == {("一网格", 2, 1, 50), ("二网格", 2, 1, 50)}
    workers = [(w.worker.username, w.assigned, w.done, w.last_activity) for w in worker_coverage(world.community_staff)]
    assert workers == [("gridworker", 2, 1, NOW), ("gridworker2", 2, 1, later)]
    # Outside the window a confirmation no longer covers anyone; the outsider community sees none of it.
    with clock.frozen(NOW + timedelta(days=200)):
        assert {c.confirmed for c in grid_coverage(world.community_staff)} == {0}
    assert [c.grid.name for c in grid_coverage(world.community_staff_c3)] == ["三网格"]
    assert worker_coverage(world.community_staff_c3) == []
    assert grid_coverage(world.grid_worker) == []
