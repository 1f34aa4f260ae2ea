"""Work a live process holds: a PostgreSQL session-level advisory lock on (space, key).

The lock goes when its connection does, so work whose lock is free belongs to a process that died (SIGKILL, out of
memory, the machine) and may be taken up again at once. Alert claims and import batches use it, each in its own
space. SQLite has no such locks (``available()`` is False): its callers go by the work's age instead.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection

log = logging.getLogger(__name__)


def available() -> bool:
    return connection.vendor == "postgresql"


def hold(space: int, key: int) -> None:
    """Take the lock for this connection's life (or until ``let_go``); no-op without advisory locks."""
    if available():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [space, key])


def let_go(space: int, key: int, what: str) -> None:
    if not available():
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [space, key])
    except DatabaseError:  # the connection is gone, and its lock with it: keep the work's own outcome
        log.warning("%s: its lock was not given back (the connection broke)", what, exc_info=True)


def free(space: int, key: int) -> bool:
    """No live process holds (space, key): the lock is taken and given back at once to find out."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [space, key])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [space, key])
    return True
