"""Helpers for the authentication tests: TOTP codes as an authenticator app computes them, and sign-in posts."""

from __future__ import annotations

import base64
import re
import time

from django.test import Client
from django_otp.oath import TOTP

from shequ.audit.models import AuditEntry
from tests.browser import PASSWORD


def code_for(secret: str, ahead: int = 0) -> str:
    """The 6-digit code for a base32 key (spaces allowed), ``ahead`` time steps from now: the next step's code is
    still accepted (tolerance 1) and, unlike the current one, not yet used."""
    text = secret.replace(" ", "").upper()
    totp = TOTP(base64.b32decode(text + "=" * (-len(text) % 8)))
    totp.time = time.time() + 30 * ahead
    return f"{totp.token():06d}"


def secret_on(html: str) -> str:
    match = re.search(r"data-secret>([A-Z2-7 ]+)<", html)
    assert match, "no key on the page"
    return match.group(1)


def sign_in(client: Client, username: str, password: str = PASSWORD, url: str = "/login/"):
    return client.post(url, {"username": username, "password": password})


def actions(**filters) -> list[str]:
    return list(AuditEntry.objects.filter(**filters).order_by("sequence").values_list("action", flat=True))
