"""Lockout and back-off (django-axes plus access/lockout.py): five wrong passwords lock the user name, even the right
password is refused, each further lockout lasts twice as long, and every lockout leaves an audit entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from axes.utils import reset
from django.test import Client
from django.utils import timezone

from shequ.access import lockout
from shequ.audit.models import AuditEntry

from .authkit import sign_in

pytestmark = pytest.mark.django_db


def lock(client: Client, username: str, url: str = "/login/"):
    responses = [sign_in(client, username, "wrong-password", url) for _ in range(5)]
    return responses[-1]


def test_five_failures_lock_the_name_even_for_the_right_password(world):
    client = Client()
    for _ in range(4):
        assert sign_in(client, "gridworker", "wrong-password").status_code == 200  # the form again
    response = sign_in(client, "gridworker", "wrong-password")
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode() and 'data-page="locked-out"' in response.content.decode()
    again = sign_in(client, "gridworker")  # the right password
    assert again.status_code == 429 and "_auth_user_id" not in client.session
    # from another address too: the name is locked, not the client
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert sign_in(other, "gridworker").status_code == 429
    # the test client's login() (no request) is refused as well
    assert not Client().login(username="gridworker", password="pass-word-123")
    # other accounts are not affected
    assert sign_in(Client(), "c1staff").status_code == 302


def test_a_lockout_is_audited_once(world):
    client = Client()
    lock(client, "gridworker")
    sign_in(client, "gridworker")  # tries during the lockout are not new lockouts
    entries = AuditEntry.objects.filter(action="lockout")
    assert entries.count() == 1
    entry = entries.get()
    assert entry.actor_id == world.grid_worker.pk
    assert entry.detail == {"username": "gridworker", "lockouts": 1, "minutes": 15}


def test_the_portal_shows_the_lockout_in_the_portal_frame(world):
    response = lock(Client(), "resident", "/portal/login/")
    html = response.content.decode()
    assert response.status_code == 429 and 'class="portal' in html and "账号已锁定" in html


def test_each_further_lockout_doubles(world):
    client = Client()
    lock(client, "gridworker")
    first = lockout.locked_until("gridworker")
    assert timedelta(minutes=14) < first - timezone.now() <= timedelta(minutes=15)
    reset(username="gridworker")  # as if the first lockout had ended (the failure log stays)
    assert sign_in(client, "gridworker").status_code == 302  # unlocked
    client.logout()
    lock(client, "gridworker")
    second = lockout.locked_until("gridworker")
    assert timedelta(minutes=29) < second - timezone.now() <= timedelta(minutes=30)
    assert [e.detail["minutes"] for e in AuditEntry.objects.filter(action="lockout").order_by("sequence")] == [15, 30]


def test_backoff_is_capped_and_forgets_old_lockouts(settings):
    assert [lockout.backoff(n) for n in (0, 1, 2, 3)] == [timedelta(minutes=m) for m in (15, 15, 30, 60)]
    assert lockout.backoff(20) == timedelta(minutes=settings.SHEQU_LOCKOUT_MAX_MINUTES)
    long_ago = timezone.now() - timedelta(hours=settings.SHEQU_LOCKOUT_MEMORY_HOURS + 1)
    old = AccessFailureLog.objects.create(username="someone", locked_out=True, ip_address="1.2.3.4")
    AccessFailureLog.objects.filter(pk=old.pk).update(attempt_time=long_ago)  # attempt_time is set on insert
    AccessFailureLog.objects.create(username="someone", locked_out=True, ip_address="1.2.3.4")
    assert lockout.recent_lockouts("someone") == 1


def test_an_expired_lockout_lets_the_user_in(world):
    client = Client()
    lock(client, "gridworker")
    past = timezone.now() - timedelta(minutes=16)
    AccessAttempt.objects.filter(username="gridworker").update(attempt_time=past)
    for attempt in AccessAttempt.objects.filter(username="gridworker"):
        attempt.expiration.expires_at = past
        attempt.expiration.save()
    assert sign_in(client, "gridworker").status_code == 302


def test_a_success_resets_the_count(world):
    client = Client()
    for _ in range(4):
        sign_in(client, "gridworker", "wrong-password")
    assert sign_in(client, "gridworker").status_code == 302
    client.logout()
    for _ in range(4):
        sign_in(client, "gridworker", "wrong-password")
    assert sign_in(client, "gridworker").status_code == 302
