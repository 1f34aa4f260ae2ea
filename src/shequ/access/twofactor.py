"""Two-factor sign-in: a TOTP authenticator app plus one-time recovery codes (django-otp).

Staff roles must enrol when ``SHEQU_2FA`` is "required" (the default); anyone may enrol. A user with a confirmed
device gives a code after the password on every sign-in. A session signed in through the city's identity provider
counts as verified when ``SHEQU_OIDC_TRUST_MFA`` is true (that provider asked for its own second factor).
"""

from __future__ import annotations

import base64
import re
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shequ import audit

from .models import STAFF_ROLES, Role, User

# Everyone who sees records or the trail: the staff roles, auditors and property companies.
TWO_FACTOR_ROLES = frozenset({*STAFF_ROLES, Role.AUDITOR, Role.PROPERTY_COMPANY})
RECOVERY_CODES = 10
SSO_SESSION_KEY = "shequ_sso"  # set by shequ.sso on a sign-in through the city's identity provider
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery"


def required_for(user: Any) -> bool:
    """Must this user have a second factor?"""
    if settings.SHEQU_2FA != "required" or not getattr(user, "is_authenticated", False):
        return False
    return user.role in TWO_FACTOR_ROLES or user.is_superuser or user.is_staff


def has_device(user: Any) -> bool:
    return user_has_device(user, confirmed=True)


def session_needs_verification(request: HttpRequest) -> bool:
    """Signed in with a password but not yet with the second factor this user needs (or chose)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_verified():
        return False
    if settings.SHEQU_OIDC_TRUST_MFA and request.session.get(SSO_SESSION_KEY):
        return False
    return required_for(user) or has_device(user)


def secret_of(device: TOTPDevice) -> str:
    """The key as the base32 text authenticator apps accept, in groups of four."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG QR code in a data: URI (allowed by the CSP's img-src)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled (the same one on each visit until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def _clean(token: str) -> str:
    return re.sub(r"[\s-]", "", token or "").lower()


def confirm_enrolment(request: HttpRequest, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the pending authenticator with a code from it; return fresh recovery codes, or None if wrong."""
    user = request.user
    with transaction.atomic():
        if device.user_id != user.pk or not device.verify_token(_clean(token)):
            audit.record("otp.failed", request=request, target=user, detail={"step": "enrol"})
            return None
        # One authenticator per user: the new one replaces any older device.
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = issue_recovery_codes(user)
        otp_login(request, device)
        audit.record("otp.enrol", request=request, target=user)
    return codes


def issue_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with new ones; they are shown once."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def verify(request: HttpRequest, token: str) -> bool:
    """Check a code (authenticator or recovery) for the signed-in user; mark the session verified if right."""
    user = request.user
    token = _clean(token)
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if token and device.verify_token(token):
                otp_login(request, device)
                return True
    audit.record("otp.failed", request=request, target=user, detail={"step": "verify"})
    return False


def remaining_recovery_codes(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def reset(user: User, *, request: HttpRequest | None = None, reason: str = "") -> int:
    """Remove all of a user's devices (lost phone, left the job): they enrol again at the next sign-in."""
    with transaction.atomic():
        removed = sum(device.delete()[0] and 1 for device in devices_for_user(user, confirmed=None))
        audit.record("otp.reset", request=request, target=user, purpose=reason, detail={"devices": removed})
    return removed
