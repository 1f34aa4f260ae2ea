"""Webhook tests: a real HTTP receiver on 127.0.0.1 (``http.server`` in a thread) and subscriptions made through
the actions."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shequ.access.models import User
from shequ.webhooks import actions, outbox
from shequ.webhooks.actions import SubscriptionInput
from shequ.webhooks.models import Subscription
from tests.world import World


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next code of ``codes`` (the last one repeats), and keeps what came."""

    url: str = ""
    codes: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> int:
        with self.lock:
            return self.codes.pop(0) if len(self.codes) > 1 else self.codes[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                state.received.append(Received(self.path, dict(self.headers.items()), body))
            code = state.answer()
            reply = b'{"ok": true}' if code < 300 else b'{"error": "not now"}'
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _fresh_filters() -> Iterator[None]:
    # Each test's subscriptions roll back with it: no process-held filters may outlive the test.
    outbox.snapshot.invalidate()
    yield
    outbox.snapshot.invalidate()


def subscribe(
    world: World,
    *,
    owner: User,
    url: str = "http://127.0.0.1:9/hook",
    by: User | None = None,
    name: str = "测试订阅",
    areas: Sequence = (),
    **filters,
) -> tuple[Subscription, str]:
    return actions.create(
        by=by or world.admin,
        data=SubscriptionInput(name=name, url=url, owner=owner, areas=areas, **filters),
    )
