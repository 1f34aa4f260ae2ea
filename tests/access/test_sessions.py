"""Sessions end after SHEQU_SESSION_IDLE_SECONDS without a request, and SHEQU_SESSION_SECONDS after sign-in at the
latest, however busy; the login page then says why. Cookies are HttpOnly and SameSite=Lax."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from shequ.core import clock

from .authkit import sign_in

pytestmark = pytest.mark.django_db
EXPIRED = "会话已过期，请重新登录"


def signed_in(username: str, url: str = "/login/") -> Client:
    client = Client()
    assert sign_in(client, username, url=url).status_code == 302
    return client


def test_an_idle_session_expires_and_the_login_page_says_so(world, settings):
    start = timezone.now()
    with clock.frozen(start):
        client = signed_in("gridworker")
        assert client.get("/").status_code == 200
    with clock.frozen(start + timedelta(seconds=settings.SHEQU_SESSION_IDLE_SECONDS - 120)):
        assert client.get("/").status_code == 200  # still active: the idle clock restarts
    with clock.frozen(start + timedelta(seconds=2 * settings.SHEQU_SESSION_IDLE_SECONDS - 180)):
        assert client.get("/").status_code == 200
    with clock.frozen(start + timedelta(seconds=3 * settings.SHEQU_SESSION_IDLE_SECONDS)):
        response = client.get("/events/")
        assert response.status_code == 302 and response.url.startswith("/login/?next=/events/")
        page = client.get(response.url)
        assert EXPIRED in page.content.decode()
        assert "_auth_user_id" not in client.session


def test_background_requests_do_not_keep_an_unattended_session_alive(world, settings):
    """An open page's live stream and htmx polling run on their own; only the user's own requests count."""
    start = timezone.now()
    with clock.frozen(start):
        client = signed_in("gridworker")
    with clock.frozen(start + timedelta(seconds=settings.SHEQU_SESSION_IDLE_SECONDS - 120)):
        assert client.get("/", headers={"X-Shequ-Background": "1"}).status_code == 200
    with clock.frozen(start + timedelta(seconds=settings.SHEQU_SESSION_IDLE_SECONDS + 61)):
        response = client.get("/events/")
        assert response.status_code == 302 and response.url.startswith("/login/")


def test_a_busy_session_still_ends_after_the_absolute_limit(world, settings):
    settings.SHEQU_SESSION_IDLE_SECONDS = 1800
    start = timezone.now()
    minutes = 0
    with clock.frozen(start):
        client = signed_in("gridworker")
    while minutes < settings.SESSION_COOKIE_AGE // 60 - 20:
        minutes += 20
        with clock.frozen(start + timedelta(minutes=minutes)):
            assert client.get("/").status_code == 200
    with clock.frozen(start + timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)):
        assert client.get("/").status_code == 302


def test_a_resident_goes_back_to_the_portal_login(world, settings):
    start = timezone.now()
    with clock.frozen(start):
        client = signed_in("resident", "/portal/login/")
        client.get("/portal/me/")
    with clock.frozen(start + timedelta(seconds=settings.SHEQU_SESSION_IDLE_SECONDS + 61)):
        response = client.get("/portal/me/")
        assert response.url.startswith("/portal/login/")
        assert EXPIRED in client.get(response.url).content.decode()


def test_htmx_requests_are_sent_to_the_login_page(world, settings):
    start = timezone.now()
    with clock.frozen(start):
        client = signed_in("gridworker")
        client.get("/")
    with clock.frozen(start + timedelta(seconds=settings.SHEQU_SESSION_IDLE_SECONDS + 61)):
        response = client.get("/events/", headers={"HX-Request": "true"})
        assert response.status_code == 204 and response["HX-Redirect"].startswith("/login/")


def test_the_api_just_answers_as_for_anyone_signed_out(world, settings):
    start = timezone.now()
    with clock.frozen(start):
        client = signed_in("gridworker")
        client.get("/")
    with clock.frozen(start + timedelta(seconds=settings.SHEQU_SESSION_IDLE_SECONDS + 61)):
        assert client.get("/api/events").status_code == 401


def test_cookies_are_http_only_and_same_site(world):
    client = Client()
    response = sign_in(client, "gridworker")
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # plain HTTP unless SHEQU_HTTPS=true (tests/access/test_csp.py)
