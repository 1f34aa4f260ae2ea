"""One live server in both roles, under two host names so each side keeps its own cookies as two sites would:
the provider (shequ's /o/) at 127.0.0.1, shequ as the city provider's client (/sso/) at localhost."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.core.cache import cache
from django.core.management import call_command

from tests.browser import PASSWORD


@dataclass
class Hosts:
    provider: str  # the identity provider's origin
    app: str  # the relying party's origin

    @property
    def issuer(self) -> str:
        return f"{self.provider}/o"


@dataclass
class Registered:
    client_id: str
    secret: str
    redirect_uri: str


@pytest.fixture
def hosts(live_server) -> Hosts:
    port = urlsplit(live_server.url).port
    cache.clear()  # the discovery document is cached per issuer
    return Hosts(provider=f"http://127.0.0.1:{port}", app=f"http://localhost:{port}")


def register(name: str, redirect_uri: str, *extra: str) -> Registered:
    out = io.StringIO()
    call_command("register_oidc_client", name, "--redirect-uri", redirect_uri, *extra, stdout=out, stderr=io.StringIO())
    values = dict(line.split("=", 1) for line in out.getvalue().split())
    return Registered(values["client_id"], values.get("client_secret", ""), redirect_uri)


@pytest.fixture
def city_provider(hosts, settings) -> Registered:
    """shequ registered at "the city's provider" (itself, at 127.0.0.1) and configured to use it."""
    registered = register("社区治理平台", f"{hosts.app}/sso/callback/")
    settings.SHEQU_OIDC_ISSUER = hosts.issuer
    settings.SHEQU_OIDC_CLIENT_ID = registered.client_id
    settings.SHEQU_OIDC_CLIENT_SECRET = registered.secret
    return registered


def hidden_inputs(page: str) -> dict[str, str]:
    """The hidden fields of the page's form (CSRF token, the consent form's request parameters)."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            value = re.search(r'value="([^"]*)"', tag)
            fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return fields


def password_login(session: requests.Session, origin: str, username: str, next_url: str = "") -> requests.Response:
    page = session.get(f"{origin}/login/", params={"next": next_url} if next_url else None)
    form = hidden_inputs(page.text)
    form.update(username=username, password=PASSWORD)
    return session.post(f"{origin}/login/", data=form, headers={"Referer": f"{origin}/login/"})


def consent(session: requests.Session, page: requests.Response, *, allow: bool = True) -> requests.Response:
    """Answer the consent page; returns the provider's redirect (not followed)."""
    assert 'data-page="sso-consent"' in page.text, page.text[:2000]
    form = hidden_inputs(page.text)
    if allow:
        form["allow"] = "Authorize"
    return session.post(page.url, data=form, headers={"Referer": page.url}, allow_redirects=False)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(hosts: Hosts, client: Registered, *, scope: str, challenge: str | None, state: str = "s1") -> str:
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": scope,
        "state": state,
        "nonce": "n-" + state,
    }
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    return f"{hosts.provider}/o/authorize/?{urlencode(params)}"


def query_of(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, (response.status_code, response.text[:1000])
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
