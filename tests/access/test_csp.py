"""Security headers: the content security policy (scripts and style elements from the platform or with the page's
nonce), no sniffing, referrer policy, framing refused; HTTPS settings when SHEQU_HTTPS=true."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.test import Client

from .authkit import sign_in

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    directives = [d.strip().split() for d in response["Content-Security-Policy"].split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def test_pages_carry_a_strict_policy(world):
    response = Client().get("/login/")
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["form-action"] == ["'self'"]
    assert {"'self'", "data:", "blob:"} <= set(csp["img-src"])
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_the_nonce_in_the_page_matches_the_header(world):
    client = Client()
    sign_in(client, "gridworker")
    response = client.get("/")
    nonce = next(s for s in policy(response)["script-src"] if s.startswith("'nonce-"))[7:-1]
    assert f'"inlineStyleNonce": "{nonce}"' in response.content.decode()
    assert nonce != next(s for s in policy(client.get("/"))["script-src"] if s.startswith("'nonce-"))[7:-1]


def test_no_inline_scripts_in_the_portal_rating_page(world):
    """The one inline script there was (the rating form's) now comes from a static file."""
    from pathlib import Path

    import shequ

    template = Path(shequ.__file__).parent / "portal/templates/portal/report_detail.html"
    assert "<script>" not in template.read_text()


def settings_with(**env: str) -> dict:
    """Read the settings module in a fresh interpreter with these environment variables."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "names = ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', "
        "'SECURE_SSL_REDIRECT']; "
        "out = {n: getattr(settings, n, None) for n in names}; "
        "out['img'] = settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']; "
        "out['form'] = settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']; print(json.dumps(out))"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "shequ.settings", **env}
    result = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_https_turns_on_secure_cookies_and_hsts():
    plain = settings_with()
    assert plain["SESSION_COOKIE_SECURE"] is False and plain["SECURE_HSTS_SECONDS"] in (None, 0)
    secure = settings_with(SHEQU_HTTPS="true")
    assert secure["SESSION_COOKIE_SECURE"] and secure["CSRF_COOKIE_SECURE"]
    assert secure["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert secure["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_tile_server_and_identity_provider_are_allowed_when_configured():
    configured = settings_with(
        SHEQU_TILE_URL="https://{s}.tiles.example.cn/{z}/{x}/{y}.png",
        SHEQU_OIDC_ISSUER="https://id.city.example.cn/realms/gov",
    )
    assert "https://*.tiles.example.cn" in configured["img"]
    assert "https://id.city.example.cn" in configured["form"]
