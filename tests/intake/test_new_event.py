"""登记事件 in the workbench: the category list is ordered by the suggestion as the desk types (htmx), the whole
catalogue stays, and the event is reported in a grid of the desk's own area."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from shequ.events.models import Category, Channel, Event, Status
from tests.world import World

from .conftest import client_for

pytestmark = pytest.mark.django_db

FULL_BIN = "楼下垃圾桶满了溢出来，好几天没人收"


def test_the_category_list_puts_the_suggestions_first(catalog_world: World):
    client = client_for(catalog_world.community_staff)
    html = client.post(reverse("event_new_categories"), {"description": FULL_BIN}).content.decode()
    assert html.strip().startswith('<select name="category"') and 'id="id_category"' in html
    assert re.search(r'<optgroup label="建议">\s*<option value="\d+">0106 [^<]*\(\d\.\d\d\)</option>', html)
    leaves = Category.objects.filter(active=True, children__isnull=True).count()
    assert html.count("<option value=") == 1 + 3 + leaves  # the empty choice, three suggestions, the catalogue
    # nothing typed: the plain catalogue
    plain = client.post(reverse("event_new_categories"), {"description": ""}).content.decode()
    assert "optgroup" not in plain and plain.count("<option value=") == leaves + 1  # with the empty choice
    # the page wires the description to it
    page = client.get(reverse("event_new")).content.decode()
    assert f'hx-post="{reverse("event_new_categories")}"' in page and 'hx-target="#id_category"' in page


def test_the_desk_registers_an_event_in_its_grid(catalog_world: World):
    w = catalog_world
    full = Category.objects.get(code="0106")
    resp = client_for(w.community_staff).post(
        reverse("event_new"),
        {
            "description": FULL_BIN,
            "category": full.pk,
            "grid": w.g1.pk,
            "channel": "hotline",
            "reporter_name": "王先生",
            "reporter_phone": "13700001111",
        },
    )
    event = Event.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("event_detail", args=[event.code])
    assert (event.status, event.channel, event.category, event.grid, event.reporter) == (
        Status.REPORTED,
        Channel.HOTLINE,
        full,
        w.g1,
        w.community_staff,
    )
    assert event.reporter_name == "王先生"


def test_a_grid_outside_the_desks_area_or_a_missing_text_is_refused(catalog_world: World):
    w = catalog_world
    client = client_for(w.community_staff)
    outside = client.post(reverse("event_new"), {"description": FULL_BIN, "grid": w.g3.pk, "channel": "hotline"})
    empty = client.post(reverse("event_new"), {"description": "", "grid": w.g1.pk, "channel": "hotline"})
    assert (outside.status_code, empty.status_code) == (400, 400)
    assert not Event.objects.exists()


def test_handling_units_register_nothing(catalog_world: World):
    w = catalog_world
    client = client_for(w.handler)
    assert client.get(reverse("event_new")).status_code == 403
    client.post(reverse("event_new"), {"description": FULL_BIN, "grid": w.g1.pk, "channel": "hotline"})
    assert not Event.objects.exists()
