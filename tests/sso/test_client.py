"""shequ signing people in through "the city's identity provider" (itself, at another host name), end to end."""

from __future__ import annotations

import requests
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.test import Client as Browser

from shequ.audit.models import AuditEntry
from shequ.sso import client as sso_client
from shequ.sso.models import ExternalIdentity

from .conftest import consent, hidden_inputs, password_login


def sign_in_through_provider(hosts, username: str, next_url: str = "/") -> tuple[requests.Session, requests.Response]:
    """Click the button at the app, sign in at the provider, consent; returns the app's last answer."""
    session = requests.Session()
    start = session.get(f"{hosts.app}/sso/login/", params={"next": next_url}, allow_redirects=False)
    assert start.status_code == 302 and start.headers["Location"].startswith(f"{hosts.issuer}/authorize/")
    assert "code_challenge=" in start.headers["Location"]  # the client uses PKCE too
    authorize = start.headers["Location"]
    password_login(session, hosts.provider, username)
    page = session.get(authorize, allow_redirects=False)
    # Consent is asked once per app and scopes; afterwards the provider answers at once.
    back = page if page.status_code == 302 else consent(session, page)
    assert back.headers["Location"].startswith(f"{hosts.app}/sso/callback/")
    return session, session.get(back.headers["Location"], allow_redirects=False)


def app_session(session: requests.Session, hosts) -> SessionStore:
    key = next(c.value for c in session.cookies if c.name == "sessionid" and "localhost" in c.domain)
    return SessionStore(session_key=key)


def test_the_button_appears_only_when_the_client_is_configured(db, settings):
    browser = Browser()
    for page in ("/login/", "/portal/login/"):
        assert "data-sso" not in browser.get(page).content.decode()
    assert browser.get("/sso/login/").status_code == 404

    settings.SHEQU_OIDC_ISSUER = "https://idp.example.gov.cn"
    settings.SHEQU_OIDC_CLIENT_ID, settings.SHEQU_OIDC_CLIENT_SECRET = "shequ", "secret"
    staff_page = browser.get("/login/?next=/events/").content.decode()
    portal_page = browser.get("/portal/login/").content.decode()

    assert 'href="/sso/login/?next=/events/"' in staff_page and "使用统一身份认证登录" in staff_page
    assert 'href="/sso/login/?next=/portal/' in portal_page and "使用统一身份认证登录" in portal_page


def test_a_city_identity_is_linked_on_first_sign_in_and_logged_in(hosts, city_provider, world):
    session, landed = sign_in_through_provider(hosts, "c1staff", next_url="/events/")

    assert landed.status_code == 302 and landed.headers["Location"] == "/events/"
    assert session.get(f"{hosts.app}/events/", allow_redirects=False).status_code == 200
    stored = app_session(session, hosts)
    assert stored["shequ_sso"] is True and stored["shequ_sso_issuer"] == hosts.issuer
    identity = ExternalIdentity.objects.get()
    assert (identity.issuer, identity.subject, identity.user) == (
        hosts.issuer,
        str(world.community_staff.pk),
        world.community_staff,
    )
    entry = AuditEntry.objects.filter(action="sso.login").get()
    assert entry.actor == world.community_staff
    assert entry.detail == {"issuer": hosts.issuer, "subject": identity.subject, "linked": True}
    assert cache.get(sso_client._discovery_key())["issuer"] == hosts.issuer  # fetched once, then cached

    # The next sign-in goes by (issuer, subject), whatever the account is called by then.
    world.community_staff.username = "c1staff-renamed"
    world.community_staff.save()
    _, again = sign_in_through_provider(hosts, "c1staff-renamed")
    assert again.status_code == 302 and again.headers["Location"] == "/"
    assert ExternalIdentity.objects.count() == 1
    assert AuditEntry.objects.filter(action="sso.login").first().detail["linked"] is False


def test_an_unknown_identity_is_refused_and_no_account_is_created(hosts, city_provider, world, settings):
    # Link by phone number: the city knows this person, shequ has no account with their number.
    settings.SHEQU_OIDC_LINK_CLAIM = "phone_number"
    settings.SHEQU_OIDC_SCOPES = "openid profile phone"
    users_before = type(world.resident).objects.count()

    session, refused = sign_in_through_provider(hosts, "resident")

    assert refused.status_code == 403
    assert "尚未关联" in refused.text and "data-sso-refused" in refused.text
    assert session.get(f"{hosts.app}/portal/me/", allow_redirects=False).status_code == 302  # not signed in
    assert not ExternalIdentity.objects.exists()
    assert type(world.resident).objects.count() == users_before
    assert AuditEntry.objects.filter(action="login_failed", actor_username=f"sso:{world.resident.pk}").exists()
    assert not AuditEntry.objects.filter(action="sso.login").exists()


def test_an_identity_is_linked_by_phone_number_only_when_exactly_one_active_account_has_it(
    hosts, city_provider, world, settings
):
    settings.SHEQU_OIDC_LINK_CLAIM = "phone_number"
    settings.SHEQU_OIDC_SCOPES = "openid phone"
    world.resident.phone = "13800138000"
    world.resident.save()
    world.resident2.phone = "13800138000"
    world.resident2.save()

    _, ambiguous = sign_in_through_provider(hosts, "resident")
    assert ambiguous.status_code == 403

    world.resident2.is_active = False
    world.resident2.save()
    _, linked = sign_in_through_provider(hosts, "resident", next_url="/portal/")
    assert linked.status_code == 302 and linked.headers["Location"] == "/portal/"
    assert ExternalIdentity.objects.get().user == world.resident


def test_a_disabled_linked_account_is_refused(hosts, city_provider, world):
    sign_in_through_provider(hosts, "gridworker")
    ExternalIdentity.objects.update(user=world.grid_worker_g2)  # linked (by an administrator) to another account
    world.grid_worker_g2.is_active = False
    world.grid_worker_g2.save()

    _, refused = sign_in_through_provider(hosts, "gridworker")

    assert refused.status_code == 403 and "已停用" in refused.text


def test_a_denied_consent_a_replayed_callback_and_a_wrong_secret_do_not_sign_in(hosts, city_provider, world, settings):
    session = requests.Session()
    start = session.get(f"{hosts.app}/sso/login/", allow_redirects=False)
    login = password_login(
        session, hosts.provider, "resident", next_url=start.headers["Location"].split(hosts.provider)[1]
    )
    denied = consent(session, login, allow=False)
    assert "error=access_denied" in denied.headers["Location"]
    page = session.get(denied.headers["Location"], allow_redirects=False)
    assert page.status_code == 403 and "data-sso-refused" in page.text

    session, landed = sign_in_through_provider(hosts, "resident")
    assert landed.status_code == 302
    replay = requests.Session()
    replay.cookies = session.cookies
    callback = landed.request.url
    assert session.get(callback, allow_redirects=False).status_code == 400  # the state was used up

    settings.SHEQU_OIDC_CLIENT_SECRET = "not-the-secret"
    _, failed = sign_in_through_provider(hosts, "resident")
    assert failed.status_code == 502 and "data-sso-refused" in failed.text


def test_an_unreachable_provider_gives_a_page_not_an_error(db, settings):
    settings.SHEQU_OIDC_ISSUER = "http://127.0.0.1:9/o"  # discard port: nothing listens
    settings.SHEQU_OIDC_CLIENT_ID, settings.SHEQU_OIDC_CLIENT_SECRET = "shequ", "secret"
    cache.clear()

    page = Browser().get("/sso/login/")

    assert page.status_code == 502 and "data-sso-refused" in page.content.decode()
    assert hidden_inputs(page.content.decode()) == {}
