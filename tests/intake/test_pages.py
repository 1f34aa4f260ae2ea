"""The pages that use the suggestion: the portal's picker (htmx), the workbench's accept page (suggestion,
duplicates with "merge into", a correction when the desk chooses otherwise) and the re-categorise form."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from shequ.audit.models import AuditEntry
from shequ.events import actions
from shequ.events.models import Category, Channel, Event, Status
from shequ.intake.models import Correction
from tests.world import World

from .conftest import client_for

pytestmark = pytest.mark.django_db

FULL_BIN = "楼下垃圾桶满了溢出来，好几天没人收"


def _report(w: World, text: str = FULL_BIN, *, by=None, dx: float = 0.0) -> Event:
    lon, lat = w.point_in(w.g1)
    return actions.report(by=by or w.resident, channel=Channel.RESIDENT, description=text, lon=lon + dx, lat=lat)


# --- the portal's picker ----------------------------------------------------------------------------------------


def test_the_portal_picker_offers_the_suggested_category_first(catalog_world: World):
    w = catalog_world
    client = client_for(w.resident)
    html = client.post(reverse("portal:suggest"), {"description": FULL_BIN}, HTTP_HX_REQUEST="true").content.decode()
    codes = re.findall(r'data-suggested-code="(\d+)"', html)
    assert codes[0] == "0106" and 1 <= len(codes) <= 3
    full = Category.objects.get(code="0106")
    assert f'name="category" value="{full.pk}"' in html
    # the report page itself wires the textarea to it and still lists the whole catalogue
    page = client.get(reverse("portal:report")).content.decode()
    assert f'hx-post="{reverse("portal:suggest")}"' in page
    assert page.count('name="category"') == Category.objects.filter(active=True, children__isnull=True).count() + 1


def test_the_portal_picker_answers_empty_for_nothing_or_too_much_and_never_errs(catalog_world: World):
    client = client_for(catalog_world.resident)
    for body in ({"description": ""}, {"description": "垃" * 5001}, {"description": FULL_BIN, "lon": "x", "lat": "1"}):
        resp = client.post(reverse("portal:suggest"), body)
        assert resp.status_code == 200
    assert "data-suggested-code" not in client.post(reverse("portal:suggest"), {"description": ""}).content.decode()
    # a half point is dropped, the text still suggests
    half = client.post(reverse("portal:suggest"), {"description": FULL_BIN, "lon": "114.0"}).content.decode()
    assert 'data-suggested-code="0106"' in half


def test_the_portal_picker_shows_a_resident_no_one_elses_words(catalog_world: World):
    w = catalog_world
    other = _report(w, "楼下垃圾桶满溢，臭得很，住3栋的张先生13800001111说的", by=w.resident2)
    lon, lat = w.point_in(w.g1)
    html = (
        client_for(w.resident)
        .post(reverse("portal:suggest"), {"description": FULL_BIN, "lon": lon, "lat": lat})
        .content.decode()
    )
    assert "data-similar" in html
    assert other.code not in html and "张先生" not in html and "13800001111" not in html


def test_the_portal_picker_is_for_signed_in_users_and_posts_only(catalog_world: World):
    assert Client().post(reverse("portal:suggest"), {"description": FULL_BIN}).status_code == 302
    assert client_for(catalog_world.resident).get(reverse("portal:suggest")).status_code == 405


# --- the accept page -----------------------------------------------------------------------------------------


def test_the_accept_page_shows_the_suggestion_and_the_duplicates_with_merge(catalog_world: World):
    w = catalog_world
    original = _report(w)
    actions.accept(original, by=w.community_staff, category=Category.objects.get(code="0106"))
    dup = _report(w, "垃圾桶满溢好几天了，臭得很", by=w.resident2, dx=0.0002)
    html = client_for(w.community_staff).get(reverse("event_detail", args=[dup.code])).content.decode()
    assert 'data-suggested-category="0106"' in html
    assert f'data-duplicate="{original.code}"' in html and f'data-duplicate="{dup.code}"' not in html
    assert f'data-merge-into="{original.code}"' in html
    assert re.search(r'class="merge-form" data-merge="[^"]+" data-confirm="[^"]+"', html)
    # the accept form lists the suggestions first, then the whole catalogue, and remembers what it suggested
    assert re.search(r'<optgroup label="建议">\s*<option value="\d+"[^>]*>0106 ', html)
    assert 'name="suggested" value="0106"' in html
    # and the actions column is still exactly the loop's
    assert re.findall(r'<form [^>]*data-action="([a-z_]+)"', html) == ["accept", "reject"]


def test_merging_from_the_accept_page_tells_the_reporter(catalog_world: World):
    w = catalog_world
    original = _report(w)
    actions.accept(original, by=w.community_staff, category=Category.objects.get(code="0106"))
    dup = _report(w, "垃圾桶满溢好几天了，臭得很", by=w.resident2, dx=0.0002)
    client = client_for(w.community_staff)
    resp = client.post(reverse("event_act", args=[dup.code, "merge"]), {"into": original.code}, follow=True)
    assert [m.level_tag for m in get_messages(resp.wsgi_request)] == ["success"]
    dup.refresh_from_db()
    assert (dup.status, dup.merged_into) == (Status.REJECTED, original)
    assert original.timeline.filter(action="merged_in").count() == 1
    # the reporter reads it on their report's page, with the original's code
    page = client_for(w.resident2).get(reverse("portal:detail", args=[dup.code])).content.decode()
    assert original.code in page and 'data-timeline="merge"' in page


def test_merging_into_an_event_the_desk_may_not_see_changes_nothing(catalog_world: World):
    w = catalog_world
    lon, lat = w.point_in(w.g3)
    far = actions.report(by=w.resident, channel=Channel.RESIDENT, description=FULL_BIN, lon=lon, lat=lat)
    dup = _report(w, by=w.resident2)
    resp = client_for(w.community_staff).post(
        reverse("event_act", args=[dup.code, "merge"]), {"into": far.code}, follow=True
    )
    assert [m.level_tag for m in get_messages(resp.wsgi_request)] == ["error"]
    dup.refresh_from_db()
    assert (dup.status, dup.merged_into) == (Status.REPORTED, None)
    # the same words as for a code that does not exist: nothing learnt about the other area's event
    assert [str(m) for m in get_messages(resp.wsgi_request)] == [f"没有您可查看的事件 {far.code}。"]


def test_accepting_another_category_than_the_suggested_writes_a_correction(catalog_world: World):
    w = catalog_world
    event = _report(w)
    litter = Category.objects.get(code="0101")
    resp = client_for(w.community_staff).post(
        reverse("event_act", args=[event.code, "accept"]),
        {"category": litter.pk, "level": w.general.pk, "suggested": "0106"},
    )
    assert resp.status_code == 302
    [correction] = Correction.objects.all()
    assert (correction.event, correction.suggested, correction.chosen, correction.by) == (
        event,
        "0106",
        "0101",
        w.community_staff,
    )
    assert correction.text == FULL_BIN
    assert AuditEntry.objects.filter(detail__action="correction").count() == 1


def test_accepting_the_suggested_category_writes_no_correction(catalog_world: World):
    w = catalog_world
    event = _report(w)
    full = Category.objects.get(code="0106")
    client_for(w.community_staff).post(
        reverse("event_act", args=[event.code, "accept"]), {"category": full.pk, "suggested": "0106"}
    )
    event.refresh_from_db()
    assert event.status == Status.ACCEPTED and not Correction.objects.exists()


def test_a_refused_accept_writes_no_correction(catalog_world: World):
    w = catalog_world
    event = _report(w)
    litter = Category.objects.get(code="0101")
    client_for(w.community_staff_c3).post(
        reverse("event_act", args=[event.code, "accept"]), {"category": litter.pk, "suggested": "0106"}
    )
    client_for(w.community_staff).post(
        reverse("event_act", args=[event.code, "accept"]), {"category": litter.pk, "suggested": "9999"}
    )
    event.refresh_from_db()
    assert event.status == Status.REPORTED and not Correction.objects.exists()


def test_the_desk_recategorizes_an_accepted_event(catalog_world: World):
    w = catalog_world
    event = _report(w)
    actions.accept(event, by=w.community_staff, category=Category.objects.get(code="0101"))
    client = client_for(w.community_staff)
    html = client.get(reverse("event_detail", args=[event.code])).content.decode()
    assert "recategorize" in re.findall(r'<form [^>]*data-action="([a-z_]+)"', html)
    full = Category.objects.get(code="0106")
    resp = client.post(reverse("event_act", args=[event.code, "recategorize"]), {"category": full.pk}, follow=True)
    assert [m.level_tag for m in get_messages(resp.wsgi_request)] == ["success"]
    event.refresh_from_db()
    assert event.category == full
    assert event.timeline.filter(action="recategorize").count() == 1
    # the unit may not
    dispatched = _report(w)
    actions.accept(dispatched, by=w.community_staff, category=Category.objects.get(code="0101"))
    handler_html = client_for(w.handler).get(reverse("event_detail", args=[event.code]))
    assert handler_html.status_code == 404 or "recategorize" not in handler_html.content.decode()
