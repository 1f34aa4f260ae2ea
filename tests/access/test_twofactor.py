"""Two-factor sign-in (TOTP with recovery codes): staff must enrol when SHEQU_2FA is "required", then give a code
after the password on every sign-in; residents may opt in; SSO sessions count as verified when the city's provider
is trusted; admins reset lost devices. Every step leaves an audit entry."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shequ.access import twofactor
from shequ.access.models import User
from shequ.access.otp_admin import reset_two_factor

from .authkit import actions, code_for, secret_on, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _required(settings):
    settings.SHEQU_2FA = "required"


def enrol(client: Client, username: str) -> tuple[str, list[str]]:
    """Sign in and enrol; return the key and the recovery codes shown."""
    response = sign_in(client, username)
    assert response.status_code == 302
    page = client.get(response.url, follow=True)
    assert page.redirect_chain[-1][0].startswith("/account/2fa/enrol/")
    html = page.content.decode()
    secret = secret_on(html)
    assert 'src="data:image/svg+xml' in html  # the QR code, inline
    shown = client.post("/account/2fa/enrol/", {"code": code_for(secret), "next": "/"})
    assert shown.status_code == 200 and shown["Cache-Control"] == "no-store"
    codes = list(shown.context["codes"])
    assert len(codes) == twofactor.RECOVERY_CODES and all(c in shown.content.decode() for c in codes)
    return secret, codes


def test_staff_enrol_at_first_sign_in_and_then_give_a_code_every_time(world):
    client = Client()
    enrol(client, "gridworker")
    assert client.get("/").status_code == 200  # verified now
    assert actions(target_id=str(world.grid_worker.pk), action__startswith="otp") == ["otp.enrol"]
    client.post("/logout/")

    response = sign_in(client, "gridworker")
    assert client.get(response.url).url.startswith("/account/2fa/verify/?next=")  # a password alone is not enough
    assert client.get("/events/").status_code == 302
    wrong = client.post("/account/2fa/verify/", {"code": "000000", "next": "/events/"})
    assert wrong.status_code == 200 and 'data-error="code"' in wrong.content.decode()
    assert actions(action="otp.failed") == ["otp.failed"]


def test_the_right_code_lets_the_user_in(world):
    client = Client()
    secret, _ = enrol(client, "c1staff")
    client.post("/logout/")
    sign_in(client, "c1staff")
    response = client.post("/account/2fa/verify/", {"code": code_for(secret, ahead=1), "next": "/events/"})
    assert response.status_code == 302 and response.url == "/events/"
    assert client.get("/events/").status_code == 200


def test_a_recovery_code_works_once(world):
    client = Client()
    _, codes = enrol(client, "c1staff")
    client.post("/logout/")
    sign_in(client, "c1staff")
    assert client.post("/account/2fa/verify/", {"code": codes[0].upper()}).status_code == 302
    client.post("/logout/")
    sign_in(client, "c1staff")
    assert client.post("/account/2fa/verify/", {"code": codes[0]}).status_code == 200  # used
    assert StaticToken.objects.filter(device__user=world.community_staff).count() == twofactor.RECOVERY_CODES - 1


def test_a_wrong_enrolment_code_is_refused_and_audited(world):
    client = Client()
    sign_in(client, "gridworker")
    client.get("/account/2fa/enrol/")
    response = client.post("/account/2fa/enrol/", {"code": "123456"})
    assert response.status_code == 200 and 'data-error="code"' in response.content.decode()
    assert not TOTPDevice.objects.filter(user=world.grid_worker, confirmed=True).exists()
    assert actions(action="otp.failed") == ["otp.failed"]
    assert client.get("/").status_code == 302  # still not in


def test_residents_are_not_forced_but_may_opt_in(world):
    client = Client()
    sign_in(client, "resident", url="/portal/login/")
    assert client.get("/portal/").status_code == 200
    page = client.get("/account/2fa/enrol/?next=/account/security/")
    assert 'class="portal' in page.content.decode()  # the portal's frame
    client.post("/account/2fa/enrol/", {"code": code_for(secret_on(page.content.decode()))})
    client.post("/portal/logout/")
    sign_in(client, "resident", url="/portal/login/")
    assert client.get("/portal/").url.startswith("/account/2fa/verify/")  # opted in: asked from now on
    # and may turn it off again (after verifying)
    client.post("/account/2fa/verify/", {"code": code_for(secret_on(page.content.decode()), ahead=1)})
    assert client.post("/account/security/turn-off/").status_code == 302
    assert not twofactor.has_device(world.resident)
    assert "otp.reset" in actions(target_id=str(world.resident.pk))


def test_required_roles_may_not_turn_it_off(world):
    client = Client()
    enrol(client, "gridworker")
    client.post("/account/security/turn-off/")
    assert twofactor.has_device(world.grid_worker)


def test_an_unverified_session_cannot_turn_it_off(world):
    client = Client()
    enrol(client, "c1staff")
    client.post("/logout/")
    sign_in(client, "c1staff")
    assert client.post("/account/security/turn-off/").url.startswith("/account/2fa/verify/")
    assert twofactor.has_device(world.community_staff)


def test_optional_mode_does_not_force_staff(world, settings):
    settings.SHEQU_2FA = "optional"
    client = Client()
    sign_in(client, "gridworker")
    assert client.get("/").status_code == 200


def test_the_api_answers_json_to_an_unverified_session(world):
    client = Client()
    sign_in(client, "gridworker")
    response = client.get("/api/events")
    assert response.status_code == 403 and response.json()["code"] == "two_factor_required"


def test_an_sso_session_counts_as_verified_only_when_trusted(world, settings):
    client = Client()
    sign_in(client, "gridworker")
    session = client.session
    session[twofactor.SSO_SESSION_KEY] = True
    session.save()
    settings.SHEQU_OIDC_TRUST_MFA = False
    assert client.get("/").status_code == 302
    settings.SHEQU_OIDC_TRUST_MFA = True
    assert client.get("/").status_code == 200


def test_an_admin_resets_a_lost_device(world, rf):
    enrol(Client(), "gridworker")
    request = rf.post("/admin/access/user/")
    request.user = world.admin
    request._messages = type("Messages", (), {"add": lambda *a, **k: None})()
    reset_two_factor(site._registry[User], request, User.objects.filter(pk=world.grid_worker.pk))
    assert not twofactor.has_device(world.grid_worker)
    assert actions(action="otp.reset", target_id=str(world.grid_worker.pk)) == ["otp.reset"]
    client = Client()
    response = sign_in(client, "gridworker")
    assert client.get(response.url).url.startswith("/account/2fa/enrol/")  # enrols again
