"""How a delivery leaves the platform: the SMS/voice gateway (provider-agnostic HTTP or the local outbox) and email.

The HTTP gateway POSTs JSON ``{"to", "text", "ref", "callback", "channel"}`` to ``SHEQU_SMS_URL`` with the header
``X-Shequ-Signature: sha256=<hex HMAC-SHA256 of the body under SHEQU_SMS_KEY>`` and ``Idempotency-Key: <ref>``.
``ref`` is the delivery's id, the same on every try of it: a retry after a timeout, or a send again after the
worker died mid-batch (sending.release_stale), carries the key of the first, and the adapter should drop a key it
has already accepted (keeping the keys of the last day is enough); a small adapter at the provider
(Aliyun, Tencent Cloud, a carrier's SMPP bridge) turns that into its own API. The provider reports delivery back
to ``callback`` with ``{"ref", "status": "delivered"|"failed", "error"}`` signed the same way.

With no URL set, messages go to the ``OutboxMessage`` table (and the log): the embedded default and the demo.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.mail import send_mail

from .models import DeliveryChannel, OutboxMessage

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Shequ-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


class SendError(Exception):
    """A send that did not go out. ``permanent``: retrying cannot help (a refused number, a bad request)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    delivery_id: int
    channel: str
    to: str
    text: str
    subject: str = ""
    callback: str = ""
    url: str = ""  # the answer link, for channels that carry it apart from the text (Web Push)


def sign(body: bytes, key: str) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, signature: str, key: str) -> bool:
    return bool(key) and hmac.compare_digest(sign(body, key), signature or "")


def sms_url() -> str:
    return settings.SHEQU_SMS_URL


def sms_key() -> str:
    return settings.SHEQU_SMS_KEY


# One connection pool per thread, kept across messages: a new TCP (and TLS) connection a message was a large part
# of each send. ``requests.Session`` is not documented as thread-safe, hence one per thread.
_sessions = threading.local()


def _session() -> requests.Session:
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = requests.Session()
    return session


def send_http(message: Message, *, url: str, key: str, timeout: float) -> str:
    """One POST to the gateway; returns the provider's id. 5xx and network errors may be retried, 4xx not."""
    body = json.dumps(
        {
            "to": message.to,
            "text": message.text,
            "ref": str(message.delivery_id),
            "callback": message.callback,
            "channel": message.channel,
        },
        ensure_ascii=False,
    ).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: sign(body, key),
        IDEMPOTENCY_HEADER: str(message.delivery_id),  # = ref (signed in the body): a repeat is dropped by it
    }
    try:
        response = _session().post(url, data=body, headers=headers, timeout=timeout)
    except requests.RequestException as e:
        raise SendError(f"network: {e}") from None
    if response.status_code >= 400:
        code = response.status_code
        raise SendError(f"HTTP {code}", permanent=400 <= code < 500 and code != 429)
    try:
        return str(json.loads(response.content or b"{}").get("id", ""))[:100]
    except (ValueError, AttributeError):
        return ""


def send_local(message: Message) -> str:
    """The outbox keeps one message per delivery: a send again (same key) is dropped, as a provider would."""
    known = OutboxMessage.objects.filter(delivery_id=message.delivery_id).values_list("pk", flat=True).first()
    if known is not None:
        return f"local-{known}"
    row = OutboxMessage.objects.create(
        delivery_id=message.delivery_id, channel=message.channel, to=message.to, text=message.text
    )
    log.info("alert %s to %s: %s", message.channel, message.to, message.text)
    return f"local-{row.pk}"


def send_email(message: Message) -> str:
    try:
        send_mail(message.subject, message.text, None, [message.to], fail_silently=False)
    except Exception as e:  # any SMTP or connection error: try again later
        raise SendError(f"email: {e}") from None
    return ""


def send(message: Message) -> str:
    """Send through the channel's gateway; raises ``SendError``."""
    if message.channel == DeliveryChannel.WEBPUSH:
        from . import webpush  # imported here: webpush builds on this module

        return webpush.send(message)
    if message.channel == DeliveryChannel.EMAIL:
        return send_email(message)
    if message.channel in (DeliveryChannel.SMS, DeliveryChannel.VOICE):
        url = sms_url()
        if not url:
            return send_local(message)
        return send_http(message, url=url, key=sms_key(), timeout=settings.SHEQU_SMS_TIMEOUT)
    raise SendError(f"no gateway for {message.channel}", permanent=True)
