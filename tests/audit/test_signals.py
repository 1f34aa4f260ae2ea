"""Sign-ins, failed sign-ins and sign-outs are recorded by the audit app itself, on every login path."""

from __future__ import annotations

import pytest
from django.test import Client

from shequ import audit
from shequ.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_it_records_a_sign_in_with_where_from(world):
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 测试", REMOTE_ADDR="10.1.2.3")
    response = client.post("/login/", {"username": "c1staff", "password": "pass-word-123"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_id, entry.actor_username) == ("login", world.community_staff.pk, "c1staff")
    assert (entry.ip, entry.user_agent, entry.channel) == ("10.1.2.3", "Mozilla/5.0 测试", "page")


def test_it_records_a_failed_sign_in_with_the_name_tried_and_never_the_password(world):
    response = Client().post("/login/", {"username": "c1staff", "password": "wrong-guess-1"})
    assert response.status_code == 200
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_id, entry.actor_username, entry.ip) == (
        "login_failed",
        None,
        "c1staff",
        "127.0.0.1",
    )
    assert "wrong-guess-1" not in str(entry.detail) + entry.purpose
    assert audit.verify_chain().ok


def test_it_records_a_sign_out(world):
    client = Client()
    client.post("/login/", {"username": "c1staff", "password": "pass-word-123"})
    client.post("/logout/")
    assert list(AuditEntry.objects.order_by("sequence").values_list("action", "actor_username")) == [
        ("login", "c1staff"),
        ("logout", "c1staff"),
    ]


def test_an_api_call_is_on_the_api_channel(world, rf):
    request = rf.get("/api/registry/people/", REMOTE_ADDR="::ffff:10.0.0.1")
    request.auth = world.community_staff
    entry = audit.record("query", request=request, purpose="统计")
    assert (entry.channel, entry.actor_username, entry.ip) == ("api", "c1staff", "::ffff:a00:1")


def test_a_hostile_user_agent_is_recorded_without_breaking_the_sign_in(world):
    client = Client(HTTP_USER_AGENT="evil\x00agent" + "x" * 500)
    assert client.post("/login/", {"username": "c1staff", "password": "pass-word-123"}).status_code == 302
    entry = AuditEntry.objects.get()
    assert entry.user_agent.startswith("evilagent") and len(entry.user_agent) == 300
    assert audit.verify_chain().ok
