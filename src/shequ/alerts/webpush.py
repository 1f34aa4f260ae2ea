"""Web Push (RFC 8030 delivery, RFC 8291 message encryption, RFC 8292 VAPID) for residents who allowed it.

    the portal's 开启消息提醒 -> the browser subscribes at its push service -> ``subscribe`` keeps the endpoint and keys
    fan-out: a ``webpush`` Delivery for each resident whose account has a subscription
    send_one -> gateway.send -> ``send``: one encrypted POST (pywebpush) to every subscription of that account

The VAPID key pair identifies this server to the push services. Its private key comes from
``SHEQU_VAPID_PRIVATE_KEY`` (a PEM file's path, or the key itself) or is generated once under ``var/`` with mode
0600; it is never stored in the database. Browsers get the public key (``public_key``) as applicationServerKey.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from shequ import audit
from shequ.access.models import User
from shequ.core import clock, keyfiles
from shequ.core.errors import InvalidInput

from .gateway import Message, SendError
from .models import Delivery, PushSubscription

log = logging.getLogger(__name__)

KEY_FILE = "vapid_private.pem"
# A message waits at the push service at most this long for a phone that is off (RFC 8030 TTL); an alert that
# expires sooner waits only until it expires.
MAX_TTL = timedelta(days=28)
DEFAULT_TTL = timedelta(hours=24)
GONE = (404, 410)  # the browser dropped the subscription (RFC 8030 section 7.3)


# --- the VAPID key pair ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _load_key(configured: str, var_dir: str) -> Vapid02:
    if configured:
        if os.path.isfile(configured):
            return Vapid02.from_file(configured)
        if "BEGIN" in configured:
            return Vapid02.from_pem(configured.encode())
        return Vapid02.from_string(configured)
    return Vapid02.from_pem(keyfiles.read_or_create(Path(var_dir) / KEY_FILE, _new_vapid_pem))


def _new_vapid_pem() -> bytes:
    fresh = Vapid02()
    fresh.generate_keys()
    log.info("generated the VAPID key pair under var/")
    return fresh.private_pem()


def vapid() -> Vapid02:
    """This server's VAPID key (loaded or generated once per process)."""
    return _load_key(settings.SHEQU_VAPID_PRIVATE_KEY, str(settings.VAR_DIR))


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key() -> str:
    """The public key as browsers want it: the uncompressed P-256 point, base64url without padding."""
    return b64url(vapid().public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


def subject() -> str:
    """Who runs this server, for the push services (VAPID ``sub``): a mailto: or https: address."""
    if settings.SHEQU_VAPID_SUBJECT:
        return settings.SHEQU_VAPID_SUBJECT
    public = settings.SHEQU_PUBLIC_URL.rstrip("/")
    return public if public.startswith("https://") else "mailto:alerts@shequ.invalid"


# --- subscriptions --------------------------------------------------------------------------------------


def _host_allowed(host: str) -> bool:
    allowed = settings.SHEQU_WEBPUSH_HOSTS
    return "*" in allowed or any(host == h or host.endswith("." + h) for h in allowed)


def _key(text: object, length: int, field: str) -> str:
    try:
        raw = b64url_decode(str(text))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != length or (field == "p256dh" and raw[:1] != b"\x04"):
        raise InvalidInput(_("The browser sent an invalid notification key."), field=field)
    return str(text)


@transaction.atomic
def subscribe(user: User, data: object) -> PushSubscription:
    """Keep the browser's subscription (``PushSubscription.toJSON()``: endpoint and keys) for this account.

    The endpoint must be https on a known push service (``SHEQU_WEBPUSH_HOSTS``): the server posts to it, so it
    must not be able to point anywhere else. The same endpoint again updates the row (and may move it to
    another account: the browser is now used by them)."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise InvalidInput(_("The browser sent no notification subscription."), field="endpoint")
    endpoint = str(data.get("endpoint") or "")
    parts = urlsplit(endpoint)
    if len(endpoint) > 1000 or parts.scheme != "https" or not parts.hostname or not _host_allowed(parts.hostname):
        raise InvalidInput(_("This browser's notification service is not supported."), field="endpoint")
    p256dh = _key(data["keys"].get("p256dh", ""), 65, "p256dh")
    auth = _key(data["keys"].get("auth", ""), 16, "auth")
    row, created = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth, "last_error": ""}
    )
    if created:
        audit.record("write", actor=user, target=row, detail={"action": "push_subscribe"})
    return row


@transaction.atomic
def unsubscribe(user: User, endpoint: str) -> bool:
    """Forget this browser for this account; False if it was not theirs (or not known)."""
    row = PushSubscription.objects.filter(user=user, endpoint=endpoint).first()
    if row is None:
        return False
    audit.record("write", actor=user, target=row, detail={"action": "push_unsubscribe"})
    row.delete()
    return True


def has_subscription(user: User) -> bool:
    return user.is_authenticated and PushSubscription.objects.filter(user=user).exists()


# --- sending ----------------------------------------------------------------------------------------------


def _ttl(delivery: Delivery) -> int:
    expires = delivery.alert.expires
    left = expires - clock.now() if expires is not None else DEFAULT_TTL
    return int(max(min(left, MAX_TTL), timedelta(minutes=1)).total_seconds())


def payload(message: Message, delivery: Delivery) -> bytes:
    """What the service worker shows: title, text, the answer link, and a tag so a repeat replaces, not stacks."""
    return json.dumps(
        {
            "title": message.subject,
            "body": message.text,
            "url": message.url,
            "tag": f"shequ-alert-{delivery.alert_id}",
            "alert": delivery.alert_id,
        },
        ensure_ascii=False,
    ).encode()


def _forget(row: PushSubscription, status: int) -> None:
    with transaction.atomic():
        audit.record(
            "write", actor=None, target=row, channel="command", detail={"action": "push_gone", "status": status}
        )
        row.delete()


def _failed(row: PushSubscription, error: str) -> None:
    PushSubscription.objects.filter(pk=row.pk).update(last_error=error[:1000], last_error_at=clock.now())


def send(message: Message) -> str:
    """Post the alert to every subscription of the resident's account; raises ``gateway.SendError``.

    Sent when any browser took it. 404/410 deletes that subscription. If none took it: 429, 5xx and network
    errors may be retried (no browser got it, so a retry duplicates nothing); anything else is permanent."""
    delivery = Delivery.objects.select_related("alert", "person").get(pk=message.delivery_id)
    account_id = delivery.person.account_id if delivery.person is not None else None
    rows = list(PushSubscription.objects.filter(user_id=account_id)) if account_id else []
    if not rows:
        raise SendError("no push subscription left", permanent=True)
    data, ttl, key = payload(message, delivery), _ttl(delivery), vapid()
    sent, retry, errors = 0, False, []
    for row in rows:
        try:
            # A fresh claims dict each time: pywebpush fills in aud (the endpoint's origin) and exp.
            webpush(
                row.info(),
                data=data,
                vapid_private_key=key,
                vapid_claims={"sub": subject()},
                ttl=ttl,
                timeout=settings.SHEQU_WEBPUSH_TIMEOUT,
                headers={"Urgency": "high"},
            )
        except WebPushException as e:
            status = getattr(e.response, "status_code", None)
            if status in GONE:
                _forget(row, status)
                errors.append(f"HTTP {status}: subscription removed")
                continue
            # No response: the subscription's keys are unusable, retrying cannot help.
            retry = retry or (status is not None and (status == 429 or status >= 500))
            errors.append(f"HTTP {status}" if status is not None else str(e)[:200])
            _failed(row, errors[-1])
        except requests.RequestException as e:
            retry = True
            errors.append(f"network: {type(e).__name__}")
            _failed(row, errors[-1])
        else:
            sent += 1
            PushSubscription.objects.filter(pk=row.pk).update(last_sent_at=clock.now(), last_error="")
    if sent:
        return f"webpush:{sent}/{len(rows)}"
    raise SendError("; ".join(errors) or "not sent", permanent=not retry)
