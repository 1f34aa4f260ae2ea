"""The grid worker's care pages: the visits due, recording one with the phone's position (checked against the
dwelling's grid) and an event for a problem found; other grids' visits are a 404."""

from __future__ import annotations

from django.test import Client

from shequ.events.models import Event
from shequ.services.care import actions
from shequ.services.models import CareVisit

from .test_care import tagged  # noqa: F401


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_grid_worker_records_a_visit_on_the_phone_page(world, tagged, now):  # noqa: F811
    actions.build_needs_list(region=world.c1, by=world.community_staff)
    worker = client_for(world.grid_worker)
    page = worker.get("/services/care/").content.decode()
    task = actions.queries.my_tasks(world.grid_worker).get(subject__person=tagged.zhang)
    assert f'data-task="{task.pk}"' in page
    assert client_for(world.grid_worker_g2).get(f"/services/care/tasks/{task.pk}/").status_code == 404
    assert client_for(world.community_staff_c3).get(f"/services/care/tasks/{task.pk}/").status_code == 404
    refused = worker.post(f"/services/care/tasks/{task.pk}/", {"wellbeing": "concern", "findings": ""})
    assert refused.status_code == 400 and not CareVisit.objects.exists()
    lon, lat = world.point_in(world.g1)
    done = worker.post(
        f"/services/care/tasks/{task.pk}/",
        {"wellbeing": "concern", "findings": "独居，灶台老化", "lon": lon, "lat": lat, "event_text": "燃气灶老化漏气"},
    )
    assert done.status_code == 302
    visit = CareVisit.objects.get()
    assert visit.location_ok is True and visit.event == Event.objects.get()
    needs = client_for(world.community_staff).get("/services/care/needs/").content.decode()
    assert needs.count("data-subject=") == 2


def test_a_visit_orders_a_service_for_the_person_from_the_page(world, tagged, providers, now):  # noqa: F811
    from shequ.services.models import ServiceOrder

    actions.build_needs_list(region=world.c1, by=world.community_staff)
    task = actions.queries.my_tasks(world.grid_worker).get(subject__person=tagged.zhang)
    worker = client_for(world.grid_worker)
    page = worker.get(f"/services/care/tasks/{task.pk}/").content.decode()
    # only services without time slots are offered here: the meals, not the cleaning (it has a slot)
    assert f'value="{providers.meals.pk}"' in page and f'value="{providers.cleaning.pk}"' not in page
    lon, lat = world.point_in(world.g1)
    done = worker.post(
        f"/services/care/tasks/{task.pk}/",
        {"wellbeing": "concern", "findings": "做饭困难", "lon": lon, "lat": lat, "service": providers.meals.pk},
    )
    assert done.status_code == 302
    order = ServiceOrder.objects.get()
    assert (order.service, order.beneficiary, order.ordered_by) == (providers.meals, tagged.zhang, world.grid_worker)
    assert CareVisit.objects.get().order == order
