"""The staff pages over real HTTP, the CAP XML endpoint and the Atom feed."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from django.test import Client
from django.utils import timezone
from lxml import etree

from shequ.alerts import actions, cap
from shequ.alerts.models import Alert, State
from shequ.core import clock

from .conftest import approved, building_at, draft, resident_in

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//(?!127\.0\.0\.1|localhost|testserver)""", re.I)
ATOM = {"a": "http://www.w3.org/2005/Atom"}


def client_for(u) -> Client:
    c = Client()
    c.force_login(u)
    return c


def _form(world, **overrides) -> dict:
    now = timezone.localtime(clock.now())  # the form takes local time
    data = {
        "event": "燃气泄漏",
        "headline": "燃气泄漏：请立即疏散",
        "category": "Safety",
        "urgency": "Immediate",
        "severity": "Extreme",
        "certainty": "Observed",
        "response_type": "Evacuate",
        "description": "一社区1栋燃气泄漏",
        "instruction": "勿用明火，立即撤离",
        "effective": now.strftime("%Y-%m-%dT%H:%M"),
        "expires": (now + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"),
        "status": "Actual",
        "scope": "Public",
        "area_kind": "regions",
        "regions": [world.c1.pk],
        "area_desc": "一社区",
    }
    data.update(overrides)
    return data


def test_pages_need_a_login_and_residents_go_to_the_portal(world):
    assert Client().get("/alerts/").status_code == 302
    assert "/login" in Client().get("/alerts/")["Location"]
    assert client_for(world.resident).get("/alerts/")["Location"] == "/portal/"


def test_the_list_shows_an_empty_state_then_alerts_in_the_users_area(world):
    staff = client_for(world.community_staff)
    page = staff.get("/alerts/").content.decode()
    assert "data-empty" in page
    assert 'data-template="typhoon"' in page
    mine = draft(world.community_staff, regions=[world.c1])
    theirs = draft(world.community_staff_c3, regions=[world.c3])
    district = draft(world.district_dispatcher, regions=[world.district])
    page = staff.get("/alerts/").content.decode()
    assert f'data-alert="{mine.pk}"' in page
    assert f'data-alert="{district.pk}"' in page  # a wider alert covers C1 too
    assert f'data-alert="{theirs.pk}"' not in page
    assert staff.get(f"/alerts/{theirs.pk}/").status_code == 404
    filtered = staff.get("/alerts/", {"state": "approved"}).content.decode()
    assert "data-empty" in filtered


def test_compose_from_a_template_then_submit_and_a_second_person_approves(world, staff_c1b):
    resident_in(building_at(world.g1, 114.052, 22.545), phone="13800000001")
    staff = client_for(world.community_staff)
    page = staff.get("/alerts/new/?template=gas-leak").content.decode()
    assert "燃气泄漏：请立即疏散" in page
    assert EXTERNAL.findall(page) == []
    response = staff.post("/alerts/new/", _form(world))
    alert = Alert.objects.get()
    assert response["Location"] == f"/alerts/{alert.pk}/"
    detail = staff.get(f"/alerts/{alert.pk}/").content.decode()
    assert 'data-count="residents">1<' in detail
    assert 'data-count="contacts">1<' in detail
    assert 'data-submit="submit"' in detail
    assert EXTERNAL.findall(detail) == []

    staff.post(f"/alerts/{alert.pk}/submit/")
    alert.refresh_from_db()
    assert alert.state == State.PENDING
    # The composer is shown no approve button, and a forged POST is refused and changes nothing.
    assert 'data-submit="approve"' not in staff.get(f"/alerts/{alert.pk}/").content.decode()
    refused = staff.post(f"/alerts/{alert.pk}/approve/", follow=True).content.decode()
    assert "第二" in refused
    alert.refresh_from_db()
    assert alert.state == State.PENDING

    other = client_for(staff_c1b)
    page = other.get(f"/alerts/{alert.pk}/").content.decode()
    assert 'data-submit="approve"' in page and "data-confirm=" in page
    other.post(f"/alerts/{alert.pk}/approve/")
    alert.refresh_from_db()
    assert (alert.state, alert.approver) == (State.APPROVED, staff_c1b)
    assert staff.get(f"/alerts/{alert.pk}/edit/")["Location"] == f"/alerts/{alert.pk}/"


def test_compose_with_a_polygon_or_a_circle(world):
    staff = client_for(world.community_staff)
    ring = [[114.051, 22.541], [114.054, 22.541], [114.054, 22.544], [114.051, 22.541]]
    staff.post("/alerts/new/", _form(world, area_kind="polygon", regions=[], polygon=json.dumps(
        {"type": "Polygon", "coordinates": [ring]})))  # fmt: skip
    staff.post(
        "/alerts/new/",
        _form(world, area_kind="circle", regions=[], circle_lon="114.055", circle_lat="22.545", circle_radius_km="0.3"),
    )
    polygon, circle = Alert.objects.order_by("id")
    assert polygon.polygon["coordinates"][0][0] == [114.051, 22.541]
    assert (circle.circle_lon, circle.circle_lat, circle.circle_radius_km) == (114.055, 22.545, 0.3)
    assert circle.area_code == world.c1.code


def test_form_errors_are_shown_and_save_nothing(world):
    staff = client_for(world.community_staff)
    page = staff.post("/alerts/new/", _form(world, headline="", area_kind="polygon", regions=[])).content.decode()
    assert "data-form-error" in page
    page = staff.post("/alerts/new/", _form(world, regions=[world.c3.pk])).content.decode()
    assert "data-form-error" in page
    far = _form(
        world, area_kind="circle", regions=[], circle_lon="114.055", circle_lat="22.555", circle_radius_km="0.3"
    )
    page = staff.post("/alerts/new/", far).content.decode()
    assert "data-form-error" in page
    assert not Alert.objects.exists()


def test_update_and_cancel_from_the_detail_page(world, staff_c1b):
    alert = approved(world.community_staff, staff_c1b, regions=[world.c1])
    staff = client_for(world.community_staff)
    response = staff.post(f"/alerts/{alert.pk}/update/")
    update = Alert.objects.exclude(pk=alert.pk).get()
    assert response["Location"] == f"/alerts/{update.pk}/edit/"
    response = staff.post(f"/alerts/{alert.pk}/cancel/", {"reason": "预警解除"})
    cancel = Alert.objects.exclude(pk__in=[alert.pk, update.pk]).get()
    assert (cancel.msg_type, cancel.note, response["Location"]) == ("Cancel", "预警解除", f"/alerts/{cancel.pk}/")


def test_the_xml_of_an_approved_alert_is_public_and_of_a_draft_only_for_staff_in_the_area(world, staff_c1b):
    sent = approved(world.community_staff, staff_c1b, regions=[world.c1])
    response = Client().get(f"/alerts/{sent.pk}.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/cap+xml")
    assert cap.validate(response.content) == []
    pending = draft(world.community_staff, regions=[world.c1])
    assert Client().get(f"/alerts/{pending.pk}.xml").status_code == 404
    assert client_for(world.community_staff_c3).get(f"/alerts/{pending.pk}.xml").status_code == 404
    assert cap.validate(client_for(staff_c1b).get(f"/alerts/{pending.pk}.xml").content) == []


def test_the_feed_lists_the_alerts_in_force_only(world, staff_c1b):
    current = approved(world.community_staff, staff_c1b, regions=[world.c1])
    cancelled = approved(world.community_staff, staff_c1b, template="water-cut", regions=[world.g1])
    cancel = actions.cancel(cancelled, by=world.community_staff, reason="恢复供水")
    actions.approve(actions.submit(cancel, by=world.community_staff), by=staff_c1b)
    expiring = approved(world.community_staff, staff_c1b, template="rainstorm", regions=[world.g2])
    Alert.objects.filter(pk=expiring.pk).update(expires=clock.now() - timedelta(minutes=1))
    draft(world.community_staff, template="missing-person", regions=[world.c1])

    response = Client().get("/alerts/feed.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = etree.fromstring(response.content)
    entries = feed.findall("a:entry", ATOM)
    assert [e.findtext("a:title", namespaces=ATOM) for e in entries] == [current.headline]
    links = entries[0].findall("a:link[@type='application/cap+xml']", ATOM)
    assert links[0].get("href") == f"http://testserver/alerts/{current.pk}.xml"
    assert entries[0].findtext("a:id", namespaces=ATOM) == f"{current.sender},{current.identifier}"


def test_the_import_page_reports_bad_cap_naming_the_element(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .test_import import message

    staff = client_for(world.community_staff)
    bad = message().replace(b"<certainty>Likely</certainty>", b"<certainty>Maybe</certainty>")
    page = staff.post("/alerts/import/", {"file": SimpleUploadedFile("bad.xml", bad)}).content.decode()
    assert "&lt;certainty&gt;" in page
    assert not Alert.objects.exists()
    response = staff.post("/alerts/import/", {"file": SimpleUploadedFile("good.xml", message())})
    alert = Alert.objects.get()
    assert response["Location"] == f"/alerts/{alert.pk}/"
    assert alert.state == State.DRAFT


def test_the_list_pages_and_filters(world, staff_c1b):
    for _ in range(21):
        draft(world.community_staff, template="water-cut", regions=[world.g1])
    sent = approved(world.community_staff, staff_c1b, regions=[world.c1])
    staff = client_for(world.community_staff)
    first = staff.get("/alerts/").content.decode()
    assert 'data-total="22"' in first and 'data-rows="20"' in first and 'data-page="next"' in first
    assert 'data-rows="2"' in staff.get("/alerts/", {"page": 2}).content.decode()
    in_force = staff.get("/alerts/", {"current": "on"}).content.decode()
    assert 'data-total="1"' in in_force and f'data-alert="{sent.pk}"' in in_force
    assert 'data-total="1"' in staff.get("/alerts/", {"q": "台风"}).content.decode()
