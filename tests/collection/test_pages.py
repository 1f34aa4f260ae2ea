"""Collection pages over real HTTP: scope (404 for others' tasks), the smart form, the community's pages."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shequ.collection import actions
from shequ.collection.models import CollectionTask, FieldConfirmation, ItemStatus, TaskStatus
from shequ.registry import actions as registry
from shequ.registry.models import Change, SourceKind
from tests.core.test_offline import EXTERNAL

from .conftest import NOW, resident


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def task(world, people, now) -> CollectionTask:
    return actions.create_task(grid=world.g1, assignee=world.grid_worker, by=world.community_staff)


@pytest.fixture
def g2_task(world, people, now) -> CollectionTask:
    return actions.create_task(grid=world.g2, assignee=world.grid_worker_g2, by=world.community_staff)


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- scope -------------------------------------------------------------------------------------------


def test_it_sends_anonymous_users_to_log_in(db):
    response = Client().get("/collection/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_shows_grid_workers_only_their_own_tasks(world, task, g2_task):
    client = client_for(world.grid_worker)
    listing = client.get("/collection/")
    assert listing.status_code == 200
    assert re.findall(r'data-task="(\d+)"', listing.content.decode()) == [str(task.pk)]
    assert "我的采集任务" in page_text(listing)
    other_item = g2_task.items.first()
    assert client.get(f"/collection/tasks/{g2_task.pk}/").status_code == 404
    assert client.get(f"/collection/items/{other_item.pk}/").status_code == 404
    assert client.post(f"/collection/items/{other_item.pk}/", {"action": "all_correct"}).status_code == 404
    other_item.refresh_from_db()
    assert other_item.status == ItemStatus.PENDING
    # Community pages are not theirs.
    assert client.get("/collection/tasks/new/").status_code == 404
    assert client.get("/collection/coverage/").status_code == 404


def test_it_hides_tasks_from_an_outsider_community(world, task):
    client = client_for(world.community_staff_c3)
    assert re.findall(r'data-task="(\d+)"', client.get("/collection/").content.decode()) == []
    assert client.get(f"/collection/tasks/{task.pk}/").status_code == 404
    assert client.get(f"/collection/items/{task.items.first().pk}/").status_code == 404
    assert client.post(f"/collection/tasks/{task.pk}/cancel/").status_code == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_it_sends_residents_to_the_portal(world):
    assert client_for(world.resident).get("/collection/")["Location"] == "/portal/"


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("grid_worker", "/collection/"),
        ("grid_worker", "/collection/tasks/{task}/"),
        ("grid_worker", "/collection/items/{item}/"),
        ("community_staff", "/collection/tasks/new/"),
        ("community_staff", "/collection/coverage/"),
        ("community_staff", "/collection/tasks/{task}/"),
    ],
)
def test_it_serves_every_asset_itself(world, task, who, path):
    response = client_for(getattr(world, who)).get(path.format(task=task.pk, item=task.items.first().pk))
    assert response.status_code == 200
    assert EXTERNAL.findall(response.content.decode()) == []


# --- the grid worker's pages -------------------------------------------------------------------------


def test_it_shows_progress_and_filters_pending_and_done(world, people, task):
    actions.submit(task.items.get(person=people.li), by=world.grid_worker, all_correct=True)
    client = client_for(world.grid_worker)

    pending = client.get(f"/collection/tasks/{task.pk}/")
    assert 'data-progress="1/2"' in pending.content.decode()
    assert re.findall(r'data-item-status="(\w+)"', pending.content.decode()) == ["pending"]
    assert "一网格1栋101室" in page_text(pending)  # where the person lives
    done = client.get(f"/collection/tasks/{task.pk}/?show=done")
    assert re.findall(r'data-item-status="(\w+)"', done.content.decode()) == ["confirmed"]
    everyone = client.get(f"/collection/tasks/{task.pk}/?show=all&q=zs")  # pinyin initials of 张三
    assert re.findall(r'data-item="(\d+)"', everyone.content.decode()) == [str(task.items.get(person=people.zhang).pk)]


def test_it_shows_only_the_asked_fields_prefilled_with_code_tables_as_selects(world, people, task):
    item = task.items.get(person=people.zhang)
    body = client_for(world.grid_worker).get(f"/collection/items/{item.pk}/").content.decode()

    # The ID number is L4, above a grid worker's clear level: neither shown nor asked once it is known.
    assert re.findall(r'data-field="(\w+)"', body) == [
        "name", "gender", "birth_date", "phone", "ethnicity", "residency", "hukou_address"
    ]  # fmt: skip
    assert 'name="phone" value="13800138000"' in body
    assert 'type="date" id="id_birth_date" name="birth_date" value="1980-01-01"' in body
    assert '<option value="01" selected>汉族</option>' in body
    assert '<select id="id_residency" name="residency">' in body
    assert "缺失" in body  # hukou_address


def test_it_saves_an_item_with_provenance_and_comes_back_to_the_list(world, people, task):
    item = task.items.get(person=people.zhang)
    client = client_for(world.grid_worker)
    form = {"action": "save", "id_number": "110101198001010010", "name": "张三", "gender": "1",
            "birth_date": "1980-01-01", "phone": "13900139001", "ethnicity": "01", "residency": "floating",
            "hukou_address": ""}  # fmt: skip

    response = client.post(f"/collection/items/{item.pk}/", form, follow=True)

    assert response.redirect_chain == [(f"/collection/tasks/{task.pk}/?show=pending", 302)]
    assert "张三：已保存，更新了 2 个字段。" in page_text(response)
    changes = Change.objects.filter(record_id=people.zhang.pk, at=NOW)
    assert sorted(changes.values_list("field", "new_value", "source_kind", "source_ref")) == [
        ("phone", "13900139001", SourceKind.COLLECTION, str(task.pk)),
        ("residency", "floating", SourceKind.COLLECTION, str(task.pk)),
    ]
    assert FieldConfirmation.objects.filter(record_id=people.zhang.pk, task=task).count() == 8
    # The done item now shows what happened and offers the next person.
    after = page_text(client.get(f"/collection/items/{item.pk}/"))
    assert "询问 8 个字段，修改 2 个" in after and "下一位：李四" in after


def test_it_shows_errors_per_field_and_keeps_what_was_typed(world, people, task):
    item = task.items.get(person=people.zhang)
    form = {"action": "save", "id_number": "110101198001010010", "name": "张三", "gender": "1",
            "birth_date": "1980-01-01", "phone": "555", "ethnicity": "01", "residency": "floating",
            "hukou_address": "北京"}  # fmt: skip
    before = Change.objects.count()

    response = client_for(world.grid_worker).post(f"/collection/items/{item.pk}/", form)

    assert response.status_code == 400
    body = page_text(response)
    assert re.findall(r'data-error="(\w+)"', body) == ["phone"]
    assert "联系电话应为11位手机号码或带区号的固定电话。" in body
    assert "请修改下面标出的字段。" in body
    assert 'name="phone" value="555"' in body and 'name="hukou_address" value="北京"' in body
    assert Change.objects.count() == before
    item.refresh_from_db()
    assert item.status == ItemStatus.PENDING


def test_it_confirms_everything_in_one_tap(world, people, task):
    item = task.items.get(person=people.li)
    response = client_for(world.grid_worker).post(
        f"/collection/items/{item.pk}/", {"action": "all_correct"}, follow=True
    )
    assert "李四：已核实，信息无变化。" in page_text(response)
    item.refresh_from_db()
    assert item.status == ItemStatus.CONFIRMED
    assert FieldConfirmation.objects.filter(record_id=people.li.pk).count() == 8


def test_it_does_not_let_the_community_fill_the_workers_form(world, people, task):
    item = task.items.get(person=people.li)
    client = client_for(world.community_staff)
    assert "只有任务的网格员可以在任务进行中填写这张表单。" in page_text(client.get(f"/collection/items/{item.pk}/"))
    response = client.post(f"/collection/items/{item.pk}/", {"action": "all_correct"}, follow=True)
    assert "只有这个任务的网格员可以提交。" in page_text(response)
    item.refresh_from_db()
    assert item.status == ItemStatus.PENDING and FieldConfirmation.objects.count() == 0


# --- the community's pages -------------------------------------------------------------------------


def test_it_offers_only_grids_and_workers_of_the_area(world, people, now):
    body = client_for(world.community_staff).get("/collection/tasks/new/").content.decode()
    grid_select = body.split('name="grid"')[1].split("</select>")[0]
    worker_select = body.split('name="assignee"')[1].split("</select>")[0]
    assert re.findall(r'<option value="(\d+)"', grid_select) == [str(world.g1.pk), str(world.g2.pk)]
    assert re.findall(r'<option value="(\d+)"', worker_select) == [
        str(world.grid_worker.pk), str(world.grid_worker_g2.pk)
    ]  # fmt: skip


def test_it_creates_a_task_from_the_page(world, people, now):
    client = client_for(world.community_staff)
    form = {"grid": world.g1.pk, "assignee": world.grid_worker.pk, "title": "", "due": "2026-06-30",
            "collect": ["person.phone", "person.residency"]}  # fmt: skip

    response = client.post("/collection/tasks/new/", form, follow=True)

    task = CollectionTask.objects.get()
    assert response.redirect_chain == [(f"/collection/tasks/{task.pk}/", 302)]
    assert "任务已创建：共 2 人待核实。" in page_text(response)
    assert (task.fields, str(task.due), task.title) == (
        ["person.phone", "person.residency"],
        "2026-06-30",
        "一网格信息核查 2026-06-01",
    )


def test_it_explains_a_worker_of_another_grid_and_creates_nothing(world, people, now):
    form = {"grid": world.g1.pk, "assignee": world.grid_worker_g2.pk, "collect": ["person.phone"]}
    response = client_for(world.community_staff).post("/collection/tasks/new/", form)
    assert response.status_code == 200
    assert "gridworker2 不是一网格的网格员。" in page_text(response)
    assert CollectionTask.objects.count() == 0


def test_it_cancels_a_task_after_asking(world, task):
    client = client_for(world.community_staff)
    body = client.get(f"/collection/tasks/{task.pk}/").content.decode()
    assert 'data-confirm="确定取消这个任务吗？' in body
    response = client.post(f"/collection/tasks/{task.pk}/cancel/", {"reason": "人员调整"}, follow=True)
    assert "任务已取消。" in page_text(response)
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED


def test_it_shows_coverage_per_grid_and_per_worker(world, people, task):
    actions.submit(task.items.get(person=people.li), by=world.grid_worker, all_correct=True)
    body = page_text(client_for(world.community_staff).get("/collection/coverage/"))

    def cells(row: str) -> dict[str, str]:
        return dict(re.findall(r'data-col="(\w+)">\s*([^<]*?)\s*<', row))

    g1 = body.split(f'data-grid="{world.g1.code}"')[1].split("</tr>")[0]
    g2 = body.split(f'data-grid="{world.g2.code}"')[1].split("</tr>")[0]
    assert cells(g1) == {"people": "2", "confirmed": "1", "percent": "50%"}
    assert cells(g2) == {"people": "1", "confirmed": "0", "percent": "0%"}
    worker = body.split('data-worker="gridworker"')[1].split("</tr>")[0]
    assert cells(worker) == {"assigned": "2", "done": "1", "last": "2026-06-01 10:00"}
    assert 'data-total="people">3<' in body and 'data-total="percent">33%<' in body


def test_it_stops_asking_about_someone_who_moved_away(world, people, task):
    registry.move_out(people.li.residences.get(), by=None, source=registry.MANUAL)
    item = task.items.get(person=people.li)
    client = client_for(world.grid_worker)

    page = page_text(client.get(f"/collection/items/{item.pk}/"))
    assert "此人已不在您的辖区居住" in page and "data-field" not in page
    response = client.post(f"/collection/items/{item.pk}/", {"action": "all_correct"}, follow=True)
    assert "此人已不在您的辖区居住" in page_text(response)
    item.refresh_from_db()
    assert item.status == ItemStatus.PENDING and FieldConfirmation.objects.count() == 0


def test_it_shows_the_community_the_tasks_timeline(world, people, task):
    actions.submit(task.items.get(person=people.li), by=world.grid_worker, all_correct=True)
    body = page_text(client_for(world.community_staff).get(f"/collection/tasks/{task.pk}/?show=all"))
    assert re.findall(r'data-entry="(\w+)"', body) == ["item_confirmed", "created"]
    assert "核实无误：李四" in body and "创建任务：2 人" in body


def test_it_shows_tasks_read_only_in_the_admin(world, task, django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="pass-word-123")
    client = client_for(root)
    assert client.get("/admin/collection/collectiontask/").status_code == 200
    page = client.get(f"/admin/collection/collectiontask/{task.pk}/change/")
    assert page.status_code == 200 and "一网格信息核查" in page_text(page)
    assert client.get("/admin/collection/collectiontask/add/").status_code == 403


def test_it_reads_a_page_of_items_in_a_fixed_number_of_queries(world, people, now):
    def queries_for_task() -> int:
        task = actions.create_task(grid=world.g1, assignee=world.grid_worker, by=world.community_staff)
        client = client_for(world.community_staff)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/collection/tasks/{task.pk}/?show=all").status_code == 200
        return len(ctx.captured_queries)

    few = queries_for_task()
    for n in range(5):
        resident(world.g1, f"新人{n}", room=f"30{n}")
    assert queries_for_task() == few
