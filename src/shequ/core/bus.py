"""Nudges between processes: "something changed, look again".

Several web processes and task workers are one platform only if an edit made in one reaches the others' in-memory
state at once: the live alert stream (``alerts.live``), the point-in-grid index (``geo.index``) and the rows a
``Memo`` keeps (API tokens, the event catalogue: ``Memo.get``, ``changed``). The database stays the source of truth;
a nudge only says when to read it again, so a lost nudge costs a delay, never data.

    publish(topic)              inside the writing transaction when there is one
    subscribe(topic, callback)  callback() in this process whenever any process publishes topic

On PostgreSQL a nudge is ``NOTIFY shequ, '<topic>'``: it is delivered when (and only if) the writing transaction
commits, so no process looks before the data is there. Each process that subscribes keeps one listening connection
on a daemon thread, opened lazily (after a fork as well: gunicorn forks its workers). When that connection breaks
(a database restart) the thread reconnects with back-off and then calls every callback once, for the nudges it may
have missed. On SQLite (one machine) nudges stay in the process; the subscribers' own checks (the index's cache
version, the stream's poll) cover other processes.
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
import time
from collections.abc import Callable

from django.db import connection, transaction

log = logging.getLogger(__name__)

CHANNEL = "shequ"
_callbacks: dict[str, list[Callable[[], None]]] = {}
_lock = threading.Lock()
_listener_pid: int | None = None
_stop = threading.Event()
_listening = threading.Event()  # set while the listening connection is up (tests and readiness wait for it)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def publish(topic: str) -> None:
    """Nudge every process (this one too) about ``topic``, once the current transaction commits."""
    transaction.on_commit(lambda: dispatch(topic))
    if _postgres():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, topic])
        except Exception:  # a nudge must never fail the write it follows
            log.warning("bus: could not notify %s", topic, exc_info=True)


def subscribe(topic: str, callback: Callable[[], None]) -> None:
    """Call ``callback()`` (on the listener's thread: keep it short) whenever ``topic`` is published."""
    with _lock:
        if callback not in _callbacks.setdefault(topic, []):
            _callbacks[topic].append(callback)
    ensure_listening()


def dispatch(topic: str) -> None:
    for callback in list(_callbacks.get(topic, ())):
        try:
            callback()
        except Exception:
            log.exception("bus: a %s subscriber failed", topic)


def _dispatch_all() -> None:
    for topic in list(_callbacks):
        dispatch(topic)


def ensure_listening() -> None:
    """Start this process's listener if the database can deliver nudges and none runs here yet."""
    global _listener_pid
    if not _postgres():
        return
    pid = os.getpid()
    with _lock:
        if _listener_pid == pid:
            return
        _listener_pid = pid  # a forked child inherits the parent's value, never its thread
        _listening.clear()
        params = connection.get_connection_params()
    threading.Thread(target=_listen, args=(params,), name="shequ-bus", daemon=True).start()


def wait_listening(timeout: float) -> bool:
    """True once this process's listening connection is up (for tests and start-up checks)."""
    return _listening.wait(timeout)


def stop(timeout: float = 5.0) -> None:
    """Close this process's listening connection (a test run must drop its database at the end)."""
    global _listener_pid
    _stop.set()
    thread = next((t for t in threading.enumerate() if t.name == "shequ-bus"), None)
    if thread is not None:
        thread.join(timeout)
    with _lock:
        _listener_pid = None
    _stop.clear()


def _connect(params: dict):
    import psycopg

    kwargs = {k: v for k, v in params.items() if k not in ("cursor_factory", "context", "prepare_threshold")}
    kwargs.setdefault("connect_timeout", 5)
    return psycopg.connect(autocommit=True, **kwargs)


def _listen(params: dict) -> None:
    backoff = 0.2
    first = True
    while not _stop.is_set() and _listener_pid == os.getpid():
        try:
            with _connect(params) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                _listening.set()
                if not first:
                    _dispatch_all()  # anything may have changed while we were not listening
                first, backoff = False, 0.2
                while not _stop.is_set() and _listener_pid == os.getpid():
                    for notice in conn.notifies(timeout=1.0):
                        dispatch(notice.payload)
        except Exception as e:
            _listening.clear()
            if _stop.is_set():
                return
            log.warning("bus: listening connection lost (%s); reconnecting in %.1f s", type(e).__name__, backoff)
            first = False
            _stop.wait(backoff)
            backoff = min(backoff * 2, 5.0)


def listening() -> bool:
    """True while this process's listening connection is up: a nudge published anywhere now reaches it."""
    return _listening.is_set() and _listener_pid == os.getpid()


class Memo:
    """Rows that rarely change, kept per process under a key and dropped whenever one of ``topics`` is published.

    Values are kept pickled and every ``get`` hands out a fresh copy: request threads may change what they get
    (``grants.apply`` does) without changing it for the next request. An entry is trusted for ``ttl`` seconds while
    the bus is listening (an edit's nudge drops it the moment the edit commits, in every process) and for
    ``fallback_ttl`` seconds when it is not (SQLite, or the listening connection lost): either way an edit made
    in one process is seen by the others within a second, and a lost nudge within ``ttl``.
    """

    def __init__(self, *topics: str, ttl: float = 60.0, fallback_ttl: float = 1.0) -> None:
        self.topics, self.ttl, self.fallback_ttl = topics, ttl, fallback_ttl
        self._entries: dict[object, tuple[float, bytes]] = {}
        self._generation = 0
        self._lock = threading.Lock()
        self._subscribed_pid: int | None = None

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def get(self, key: object, load: Callable[[], object]) -> object:
        """The value under ``key``, from ``load()`` (a database read) when missing or too old."""
        if self._subscribed_pid != os.getpid():
            self._subscribed_pid = os.getpid()
            self.clear()  # a forked child starts empty: its parent's entries were not watched here
            for topic in self.topics:
                subscribe(topic, self.clear)
        now = time.monotonic()
        found = self._entries.get(key)
        if found is not None and now - found[0] < (self.ttl if listening() else self.fallback_ttl):
            return pickle.loads(found[1])
        generation = self._generation
        value = load()
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if generation == self._generation:  # not dropped while it was read: it may be stale, do not keep it
                if len(self._entries) > 10_000:
                    self._entries.clear()  # a bound, not a policy: keys are tokens and codes, a few hundred
                self._entries[key] = (now, data)
        return value


def changed(topic: str) -> None:
    """An edit of rows some ``Memo`` keeps: drop them here now (the writer's own next read), and everywhere once
    the edit commits. For signal receivers."""
    dispatch(topic)
    publish(topic)
