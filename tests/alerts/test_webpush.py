"""Web Push: the VAPID key, subscriptions, and the wire format checked at a real local HTTP server playing the
browser's push service (RFC 8030 headers, RFC 8292 VAPID JWT, RFC 8291 aes128gcm payload decrypted with the
subscription's private key)."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import http_ece
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.test import Client

from shequ.alerts import answers, fanout, sending, webpush
from shequ.alerts.models import Delivery, DeliveryChannel, DeliveryStatus, PushSubscription
from shequ.audit.models import AuditEntry
from shequ.core import clock

from .conftest import approved

pytestmark = pytest.mark.django_db


# --- a push service on 127.0.0.1 --------------------------------------------------------------------------


@dataclass
class PushService:
    url: str
    status: int = 201
    received: list[dict] = field(default_factory=list)


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            service.received.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
            self.send_response(service.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    server.server_close()


@dataclass
class Browser:
    """What a browser keeps of its subscription: the private half of p256dh and the auth secret."""

    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return webpush.b64url(point)


@pytest.fixture
def browser() -> Browser:
    return Browser(private_key=ec.generate_private_key(ec.SECP256R1()), auth=os.urandom(16))


@pytest.fixture(autouse=True)
def _own_vapid_key(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.SHEQU_VAPID_PRIVATE_KEY = ""
    settings.SHEQU_VAPID_SUBJECT = "mailto:ops@shequ.example.cn"
    webpush._load_key.cache_clear()
    yield
    webpush._load_key.cache_clear()


def _subscribed(world, browser: Browser, endpoint: str) -> PushSubscription:
    # Straight into the table: subscribe() accepts only https push services, and this one is local http.
    return PushSubscription.objects.create(
        user=world.resident, endpoint=endpoint, p256dh=browser.p256dh, auth=webpush.b64url(browser.auth)
    )


def _push_row(world, staff_c1b) -> Delivery:
    alert = approved(world.community_staff, staff_c1b, regions=[world.c1])
    fanout.fan_out(alert)
    return Delivery.objects.get(alert=alert, channel=DeliveryChannel.WEBPUSH)


# --- the key ----------------------------------------------------------------------------------------------


def test_the_vapid_key_is_generated_once_under_var_and_private_to_its_owner(tmp_path):
    first = webpush.public_key()
    path = tmp_path / webpush.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in path.read_bytes()
    webpush._load_key.cache_clear()
    assert webpush.public_key() == first  # read back, not made again
    assert len(webpush.b64url_decode(first)) == 65


def test_a_configured_key_is_used_and_nothing_is_written(settings, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    pem_file = tmp_path / "ops.pem"
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    pem_file.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    settings.SHEQU_VAPID_PRIVATE_KEY = str(pem_file)
    expected = webpush.b64url(key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))
    assert webpush.public_key() == expected
    assert not (tmp_path / webpush.KEY_FILE).exists()


# --- the wire format --------------------------------------------------------------------------------------


def test_the_push_carries_vapid_ttl_and_an_encrypted_payload_with_the_headline_and_answer_link(
    world, staff_c1b, town, browser, push_service, settings
):
    settings.SHEQU_PUBLIC_URL = "https://shequ.example.cn"
    sub = _subscribed(world, browser, f"{push_service.url}/wpush/v2/abc123")
    row = _push_row(world, staff_c1b)
    assert (row.person_id, row.status) == (town.reader.pk, DeliveryStatus.QUEUED)

    assert sending.send_one(row.pk) == DeliveryStatus.SENT
    (request,) = push_service.received
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert request["path"] == "/wpush/v2/abc123"

    # RFC 8292: "vapid t=<JWT>, k=<our public key>"; the JWT verifies with that key, aud = the endpoint's origin.
    scheme, _, params = headers["authorization"].partition(" ")
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and fields["k"] == webpush.public_key()
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), webpush.b64url_decode(fields["k"]))
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(push_service.url))
    claims = jwt.decode(fields["t"], key=public, algorithms=["ES256"], audience=origin)
    assert claims["sub"] == "mailto:ops@shequ.example.cn"
    assert claims["exp"] > clock.now().timestamp()

    # RFC 8030 / 8291: aes128gcm, a TTL (until the alert expires) and high urgency.
    assert headers["content-encoding"] == "aes128gcm"
    left = (row.alert.expires - clock.now()).total_seconds()
    assert left - 60 < int(headers["ttl"]) <= left
    assert headers["urgency"] == "high"
    plain = http_ece.decrypt(
        request["body"], private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
    )
    data = json.loads(plain)
    row.refresh_from_db()
    assert data["title"] == row.alert.headline
    assert row.alert.headline in data["body"]
    assert data["url"] == answers.ack_url(row)
    assert data["url"].startswith("https://shequ.example.cn/alerts/ack/")
    assert data["tag"] == f"shequ-alert-{row.alert_id}"

    # The link in the notification answers like the SMS one.
    path = urlsplit(data["url"]).path
    assert Client().post(path, {"answer": "safe"}).status_code == 302
    row.refresh_from_db()
    assert (row.status, row.ack) == (DeliveryStatus.ACKNOWLEDGED, "safe")
    sub.refresh_from_db()
    assert sub.last_sent_at is not None and sub.last_error == ""


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_removed_and_the_row_fails(world, staff_c1b, town, browser, push_service, status):
    sub = _subscribed(world, browser, f"{push_service.url}/gone")
    push_service.status = status
    row = _push_row(world, staff_c1b)
    assert sending.send_one(row.pk) == DeliveryStatus.FAILED
    assert not PushSubscription.objects.filter(pk=sub.pk).exists()
    row.refresh_from_db()
    assert f"HTTP {status}" in row.last_error
    assert AuditEntry.objects.filter(target_type="alerts.pushsubscription", target_id=str(sub.pk)).exists()


@pytest.mark.parametrize("status", [429, 503])
def test_a_busy_push_service_means_a_retry_with_back_off(world, staff_c1b, town, browser, push_service, status):
    sub = _subscribed(world, browser, f"{push_service.url}/busy")
    push_service.status = status
    row = _push_row(world, staff_c1b)
    assert sending.send_one(row.pk) == DeliveryStatus.QUEUED
    row.refresh_from_db()
    assert row.attempts == 1 and row.next_attempt_at > clock.now()
    sub.refresh_from_db()
    assert sub.last_error == f"HTTP {status}"

    push_service.status = 201
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=clock.now())
    assert sending.send_one(row.pk) == DeliveryStatus.SENT
    assert len(push_service.received) == 2


def test_a_refused_push_is_not_retried(world, staff_c1b, town, browser, push_service):
    _subscribed(world, browser, f"{push_service.url}/bad")
    push_service.status = 400
    row = _push_row(world, staff_c1b)
    assert sending.send_one(row.pk) == DeliveryStatus.FAILED


def test_every_browser_of_the_resident_gets_it_and_one_row_stands_for_them(
    world, staff_c1b, town, browser, push_service
):
    _subscribed(world, browser, f"{push_service.url}/phone")
    _subscribed(world, Browser(ec.generate_private_key(ec.SECP256R1()), os.urandom(16)), f"{push_service.url}/pc")
    row = _push_row(world, staff_c1b)
    assert Delivery.objects.filter(alert=row.alert, channel=DeliveryChannel.WEBPUSH).count() == 1
    assert sending.send_one(row.pk) == DeliveryStatus.SENT
    assert sorted(r["path"] for r in push_service.received) == ["/pc", "/phone"]
    row.refresh_from_db()
    assert row.provider_ref == "webpush:2/2"


def test_residents_without_a_subscription_get_no_push_row(world, staff_c1b, town):
    alert = approved(world.community_staff, staff_c1b, regions=[world.c1])
    fanout.fan_out(alert)
    assert not Delivery.objects.filter(alert=alert, channel=DeliveryChannel.WEBPUSH).exists()


# --- subscribing --------------------------------------------------------------------------------------------


def _csrf_client(user) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get("/alerts/inbox/")
    return client, page.cookies["csrftoken"].value


FCM = "https://fcm.googleapis.com/fcm/send/dXo3"


def test_a_resident_subscribes_and_unsubscribes_with_a_csrf_token(world, browser):
    client, token = _csrf_client(world.resident)
    body = {"endpoint": FCM, "keys": {"p256dh": browser.p256dh, "auth": webpush.b64url(browser.auth)}}
    post = lambda url, data, **extra: client.post(url, json.dumps(data), content_type="application/json", **extra)  # noqa: E731

    assert post("/alerts/push/subscribe/", body).status_code == 403  # no token
    assert post("/alerts/push/subscribe/", body, HTTP_X_CSRFTOKEN=token).json()["subscribed"] is True
    assert post("/alerts/push/subscribe/", body, HTTP_X_CSRFTOKEN=token).status_code == 200  # again: same row
    sub = PushSubscription.objects.get()
    assert (sub.user, sub.endpoint, sub.auth) == (world.resident, FCM, webpush.b64url(browser.auth))

    response = post("/alerts/push/unsubscribe/", {"endpoint": FCM}, HTTP_X_CSRFTOKEN=token)
    assert response.json() == {"removed": True}
    assert not PushSubscription.objects.exists()
    actions = list(
        AuditEntry.objects.filter(target_type="alerts.pushsubscription")
        .order_by("sequence")
        .values_list("detail__action", flat=True)
    )
    assert actions == ["push_subscribe", "push_unsubscribe"]


@pytest.mark.parametrize(
    "endpoint, keys, field",
    [
        ("http://fcm.googleapis.com/fcm/send/x", None, "endpoint"),  # not https
        ("https://127.0.0.1:8443/anything", None, "endpoint"),  # not a push service: the server would post there
        ("https://evil.example/fcm.googleapis.com", None, "endpoint"),
        (FCM, {"p256dh": "AAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}, "p256dh"),
        (FCM, {"auth": "short"}, "auth"),
    ],
)
def test_a_bad_subscription_is_refused_in_chinese(world, browser, endpoint, keys, field):
    client = Client()
    client.force_login(world.resident)
    good = {"p256dh": browser.p256dh, "auth": webpush.b64url(browser.auth)}
    body = {"endpoint": endpoint, "keys": good | (keys or {})}
    response = client.post("/alerts/push/subscribe/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])
    assert not PushSubscription.objects.exists()


def test_staff_and_strangers_cannot_subscribe(world, browser):
    body = json.dumps({"endpoint": FCM, "keys": {"p256dh": browser.p256dh, "auth": webpush.b64url(browser.auth)}})
    staff = Client()
    staff.force_login(world.community_staff)
    assert staff.post("/alerts/push/subscribe/", body, content_type="application/json").status_code == 403
    assert Client().post("/alerts/push/subscribe/", body, content_type="application/json").status_code == 403


# --- the portal side -----------------------------------------------------------------------------------------


def test_the_service_worker_is_served_for_the_portal_scope():
    response = Client().get("/portal/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/portal/"
    body = response.content.decode()
    assert "showNotification" in body and "openWindow" in body


def test_the_inbox_and_me_pages_offer_the_switch_with_our_public_key(world):
    client = Client()
    client.force_login(world.resident)
    for url in ("/alerts/inbox/", "/portal/me/"):
        page = client.get(url).content.decode()
        assert f'data-public-key="{webpush.public_key()}"' in page
        assert 'data-sw="/portal/sw.js"' in page and "data-push-on" in page
        assert "<script>" not in page  # no inline script: the content security policy allows 'self' only
