"""The pages of online affairs, through real HTTP requests: a resident applies (the base's facts shown, not asked),
staff accept and approve, the certificate downloads as a PDF, and the public page tells a genuine code from a forged
or altered one; staff apply at the counter (代办); nobody sees an application outside their scope."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from shequ.services.affairs import certificates
from shequ.services.models import Affair, Application, AppStatus, Certificate

from .conftest import png
from .test_affairs import GOOD


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def resident_client(world):
    return client_for(world.resident)


def test_the_demo_catalogue_holds_the_common_affairs(db):
    names = set(Affair.objects.values_list("name", flat=True))
    assert {"居住证明", "困难补助申请", "高龄津贴申请", "老年优待证", "残疾人两项补贴", "场地预约"} <= names


def test_a_resident_applies_and_staff_approve_and_the_certificate_verifies(
    world, people, residence_affair, resident_client, now
):
    hub = resident_client.get("/services/my/")
    assert hub.status_code == 200 and f'data-affair="{residence_affair.code}"' in hub.content.decode()
    form = resident_client.get(f"/services/my/affairs/{residence_affair.code}/").content.decode()
    # collect once: the name, ID number and phone are shown; the household-register address and purpose asked
    assert 'data-known="name"' in form and 'data-known="id_number"' in form
    assert 'name="hukou_address"' in form and 'name="purpose"' in form and 'name="name"' not in form
    refused = resident_client.post(f"/services/my/affairs/{residence_affair.code}/", {"purpose": "子女入学"})
    assert refused.status_code == 400 and 'data-error="hukou_address"' in refused.content.decode()
    assert not Application.objects.exists()
    done = resident_client.post(
        f"/services/my/affairs/{residence_affair.code}/", {**GOOD, "id_card": png()}, follow=True
    )
    app = Application.objects.get()
    assert done.status_code == 200 and f'data-application="{app.number}"' in done.content.decode()

    staff = client_for(world.community_staff)
    listed = staff.get("/services/applications/?list=to_accept").content.decode()
    assert f'data-application="{app.number}"' in listed
    assert staff.post(f"/services/applications/{app.number}/accept/").status_code == 302
    assert staff.post(f"/services/applications/{app.number}/review/", {"note": "同意"}).status_code == 302
    app.refresh_from_db()
    assert app.status == AppStatus.APPROVED

    pdf = resident_client.get(f"/services/certificates/{app.number}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client_for(world.community_staff_c3).get(f"/services/certificates/{app.number}.pdf").status_code == 404

    cert = Certificate.objects.get()
    public = Client()
    genuine = public.get("/services/verify/", {"code": certificates.grouped(cert.code).lower()}).content.decode()
    assert 'data-result="valid"' in genuine and cert.number in genuine and "张三" in genuine
    assert people.zhang.id_number not in genuine  # the ID number is masked
    forged = cert.code[:-1] + ("A" if cert.code[-1] != "A" else "B")
    assert 'data-result="unknown"' in public.get("/services/verify/", {"code": forged}).content.decode()
    content = json.loads(cert.content)
    content["holder"] = "李四"
    Certificate.objects.filter(pk=cert.pk).update(content=json.dumps(content, ensure_ascii=False))
    assert 'data-result="altered"' in public.get("/services/verify/", {"code": cert.code}).content.decode()


def test_staff_apply_at_the_counter(world, people, residence_affair, now):
    staff = client_for(world.community_staff)
    wrong = staff.get("/services/counter/", {"id_number": people.zhang.id_number, "name": "张三丰"})
    assert wrong.status_code == 404 and "data-person" not in wrong.content.decode()
    page = staff.get("/services/counter/", {"id_number": people.zhang.id_number, "name": "张三"}).content.decode()
    assert f'data-person="{people.zhang.pk}"' in page
    url = f"/services/counter/{people.zhang.pk}/{residence_affair.code}/"
    assert staff.post(url, {**GOOD, "id_card": png()}).status_code == 302
    app = Application.objects.get()
    assert app.proxy and app.submitted_by == world.community_staff
    assert client_for(world.community_staff_c3).get(url).status_code == 404


def test_nobody_sees_an_application_outside_their_scope(world, people, residence_affair, now):
    from .test_affairs import apply

    app = apply(world, people, residence_affair)
    assert client_for(world.community_staff).get(f"/services/applications/{app.number}/").status_code == 200
    for outsider in (world.community_staff_c3, world.street_dispatcher_s2):
        assert client_for(outsider).get(f"/services/applications/{app.number}/").status_code == 404
        assert client_for(outsider).post(f"/services/applications/{app.number}/accept/").status_code == 404
    assert client_for(world.resident2).get(f"/services/my/applications/{app.number}/").status_code == 404
    assert client_for(world.resident).get(f"/services/my/applications/{app.number}/").status_code == 200
    assert Application.objects.get().status == AppStatus.SUBMITTED


def test_the_portal_is_installable_with_an_offline_shell(client):
    manifest = client.get("/services/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert data["display"] == "standalone" and data["start_url"] == "/services/my/" and data["icons"]
    worker = client.get("/services/my/sw.js")
    assert worker.status_code == 200 and worker["Service-Worker-Allowed"] == "/services/my/"
    assert "/services/my/offline/" in worker.content.decode()
    assert "data-offline" in client.get("/services/my/offline/").content.decode()
    portal = client.get("/portal/login/").content.decode()
    assert 'rel="manifest" href="/services/manifest.webmanifest"' in portal
