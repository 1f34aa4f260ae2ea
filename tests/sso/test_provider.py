"""shequ as an OpenID Connect provider, driven over real HTTP the way a community app would."""

from __future__ import annotations

import io
import json

import jwt
import pytest
import requests
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from shequ.audit.models import AuditEntry
from shequ.sso.models import Client

from .conftest import authorize_url, consent, password_login, pkce_pair, query_of, register

APP_CALLBACK = "https://yanglao.example.cn/oidc/callback"


def code_for(hosts, client, user, *, scope="openid profile shequ", challenge=None) -> tuple[requests.Session, str]:
    """Sign in at the provider as ``user``, consent, and return the authorization code."""
    session = requests.Session()
    password_login(session, hosts.provider, user.username)
    page = session.get(authorize_url(hosts, client, scope=scope, challenge=challenge))
    answer = query_of(consent(session, page))
    assert answer["state"] == "s1"
    return session, answer["code"]


def exchange(hosts, client, code: str, verifier: str | None = None, *, with_secret: bool = True) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri}
    if verifier:
        data["code_verifier"] = verifier
    auth = (client.client_id, client.secret) if with_secret else None
    if not with_secret:
        data["client_id"] = client.client_id
    return requests.post(f"{hosts.provider}/o/token/", data=data, auth=auth)


def verified_id_token(hosts, token: str, audience: str) -> dict:
    """Check the signature against the published JWKS, as any relying party would."""
    discovery = requests.get(f"{hosts.issuer}/.well-known/openid-configuration").json()
    keys = requests.get(discovery["jwks_uri"]).json()["keys"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    key = next(k for k in keys if k["kid"] == header["kid"])
    return jwt.decode(token, jwt.PyJWK(key), algorithms=["RS256"], audience=audience, issuer=hosts.issuer)


def test_discovery_publishes_the_endpoints_keys_and_claims(hosts):
    document = requests.get(f"{hosts.issuer}/.well-known/openid-configuration").json()

    assert document["issuer"] == hosts.issuer
    assert document["authorization_endpoint"] == f"{hosts.issuer}/authorize/"
    assert document["token_endpoint"] == f"{hosts.issuer}/token/"
    assert document["userinfo_endpoint"] == f"{hosts.issuer}/userinfo/"
    assert document["response_types_supported"] == ["code"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert "RS256" in document["id_token_signing_alg_values_supported"]
    assert {"sub", "preferred_username", "name", "role", "area_code", "area_name", "phone_number"} <= set(
        document["claims_supported"]
    )
    assert set(document["scopes_supported"]) == {"openid", "profile", "shequ", "phone"}
    keys = requests.get(document["jwks_uri"]).json()["keys"]
    assert [(k["kty"], k["alg"], k["use"]) for k in keys] == [("RSA", "RS256", "sig")]
    assert "d" not in keys[0]  # the public half only


def test_a_community_app_gets_a_signed_id_token_with_the_accounts_claims(hosts, world):
    client = register("社区养老服务平台", APP_CALLBACK)
    staff = world.community_staff
    staff.phone = "13800138000"
    staff.save()
    verifier, challenge = pkce_pair()
    _, code = code_for(hosts, client, staff, challenge=challenge)

    tokens = exchange(hosts, client, code, verifier).json()
    claims = verified_id_token(hosts, tokens["id_token"], client.client_id)

    assert claims["sub"] == str(staff.pk)
    assert claims["nonce"] == "n-s1"
    assert claims["preferred_username"] == "c1staff"
    assert claims["name"] == staff.name
    assert claims["role"] == "community_staff"
    assert (claims["area_code"], claims["area_name"]) == ("440304001001", "一社区")
    assert "phone_number" not in claims  # not asked for
    userinfo = requests.get(f"{hosts.issuer}/userinfo/", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.status_code == 200
    assert userinfo.json() == {
        "sub": str(staff.pk),
        "preferred_username": "c1staff",
        "name": staff.name,
        "role": "community_staff",
        "area_code": "440304001001",
        "area_name": "一社区",
    }


def test_the_phone_number_needs_the_phone_scope_and_the_sub_is_stable(hosts, world):
    client = register("社区养老服务平台", APP_CALLBACK)
    resident = world.resident
    resident.phone = "13800138000"
    resident.save()
    verifier, challenge = pkce_pair()
    session, code = code_for(hosts, client, resident, scope="openid phone", challenge=challenge)
    first = verified_id_token(hosts, exchange(hosts, client, code, verifier).json()["id_token"], client.client_id)

    assert first["phone_number"] == "13800138000"
    assert "preferred_username" not in first and "role" not in first  # profile and shequ not asked for
    resident.username = "renamed"
    resident.save()
    verifier, challenge = pkce_pair()
    # Already consented to these scopes: the provider answers at once (REQUEST_APPROVAL_PROMPT "auto").
    again = session.get(authorize_url(hosts, client, scope="openid phone", challenge=challenge), allow_redirects=False)
    second = verified_id_token(
        hosts, exchange(hosts, client, query_of(again)["code"], verifier).json()["id_token"], client.client_id
    )
    assert second["sub"] == first["sub"] == str(resident.pk)


def test_a_public_client_must_use_pkce(hosts, world):
    client = register("社区随手拍小程序", "https://app.example.cn/callback", "--public")
    assert client.secret == ""
    session = requests.Session()
    password_login(session, hosts.provider, "resident")

    refused = session.get(authorize_url(hosts, client, scope="openid", challenge=None), allow_redirects=False)
    assert query_of(refused)["error"] == "invalid_request"

    verifier, challenge = pkce_pair()
    answer = query_of(consent(session, session.get(authorize_url(hosts, client, scope="openid", challenge=challenge))))
    wrong = exchange(hosts, client, answer["code"], "x" * 50, with_secret=False)
    assert wrong.status_code == 400
    verifier, challenge = pkce_pair()
    answer = query_of(consent(session, session.get(authorize_url(hosts, client, scope="openid", challenge=challenge))))
    right = exchange(hosts, client, answer["code"], verifier, with_secret=False)
    assert right.status_code == 200, right.text
    assert verified_id_token(hosts, right.json()["id_token"], client.client_id)["sub"] == str(world.resident.pk)


def test_a_wrong_secret_and_a_foreign_redirect_uri_are_refused(hosts, world):
    client = register("社区养老服务平台", APP_CALLBACK)
    session = requests.Session()
    password_login(session, hosts.provider, "resident")
    foreign = authorize_url(hosts, client, scope="openid", challenge=pkce_pair()[1]).replace(
        "yanglao.example.cn", "evil.example.com"
    )
    page = session.get(foreign, allow_redirects=False)
    assert page.status_code == 400 and "evil.example.com" not in page.headers.get("Location", "")

    verifier, challenge = pkce_pair()
    _, code = code_for(hosts, client, world.resident, scope="openid", challenge=challenge)
    client.secret = "not-the-secret"
    assert exchange(hosts, client, code, verifier).status_code == 401


def test_a_revoked_client_is_refused_everywhere(hosts, world):
    client = register("旧的停车系统", APP_CALLBACK)
    verifier, challenge = pkce_pair()
    session, code = code_for(hosts, client, world.resident, scope="openid profile", challenge=challenge)
    tokens = exchange(hosts, client, code, verifier).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(f"{hosts.issuer}/userinfo/", headers=bearer).status_code == 200

    out = io.StringIO()
    call_command("revoke_oidc_client", client.client_id, "--by", "admin", stdout=out)

    assert "Revoked" in out.getvalue()
    assert requests.get(f"{hosts.issuer}/userinfo/", headers=bearer).status_code == 401
    page = session.get(authorize_url(hosts, client, scope="openid", challenge=pkce_pair()[1]), allow_redirects=False)
    assert page.status_code == 400
    assert 'data-error="invalid_request"' in page.text  # "Invalid client_id parameter value."
    refresh = requests.post(
        f"{hosts.provider}/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(client.client_id, client.secret),
    )
    assert refresh.status_code == 401
    row = Client.objects.get(client_id=client.client_id)
    assert row.revoked_at is not None and row.revoked_by == world.admin
    with pytest.raises(CommandError, match="already revoked"):
        call_command("revoke_oidc_client", client.client_id)


def test_a_deactivated_account_stops_working_in_the_apps_at_once(hosts, world):
    client = register("社区养老服务平台", APP_CALLBACK)
    verifier, challenge = pkce_pair()
    _, code = code_for(hosts, client, world.resident, scope="openid", challenge=challenge)
    tokens = exchange(hosts, client, code, verifier).json()
    world.resident.is_active = False
    world.resident.save()

    userinfo = requests.get(f"{hosts.issuer}/userinfo/", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.status_code == 401


def test_registration_prints_the_secret_once_keeps_a_hash_and_is_audited(db, world):
    out = io.StringIO()
    call_command(
        "register_oidc_client",
        "社区养老服务平台",
        "--redirect-uri",
        APP_CALLBACK,
        "--by",
        "admin",
        stdout=out,
        stderr=io.StringIO(),
    )

    values = dict(line.split("=", 1) for line in out.getvalue().split())
    client = Client.objects.get(client_id=values["client_id"])
    assert client.client_secret != values["client_secret"]  # only a hash is kept
    assert check_password(values["client_secret"], client.client_secret)
    assert (client.algorithm, client.client_type, client.registered_by) == ("RS256", "confidential", world.admin)
    entry = AuditEntry.objects.filter(action="sso.client").get()
    assert entry.actor == world.admin and entry.channel == "command"
    assert entry.detail["event"] == "register" and entry.detail["redirect_uris"] == [APP_CALLBACK]
    assert values["client_secret"] not in json.dumps(entry.detail)


@pytest.mark.parametrize(
    "args, message",
    [
        (["", "--redirect-uri", APP_CALLBACK], "needs a name"),
        (["应用", "--redirect-uri", "yanglao.example.cn/callback"], "absolute"),
        (["应用", "--redirect-uri", "https://a.example.cn/cb#x"], "absolute"),
    ],
)
def test_registration_refuses_bad_input_with_a_message(db, args, message):
    with pytest.raises(CommandError) as raised:
        call_command("register_oidc_client", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert raised.value.args[0]
    assert not Client.objects.exists()
