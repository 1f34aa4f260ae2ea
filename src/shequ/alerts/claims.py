"""Whose is a claimed batch of deliveries: a worker holds a PostgreSQL advisory lock while its batch is out.

A worker claims a batch (``queued -> sending``) under a fresh key and holds the session-level advisory lock
(``_LOCK_SPACE``, key) until the batch's outcome is written. The lock goes when its connection does, so a batch in
``sending`` whose lock is free belongs to a worker that died (SIGKILL, out of memory, the machine): it can be queued
again at once instead of after ``SHEQU_ALERT_CLAIM_SECONDS``. SQLite has no such locks: there the claim's age
alone says it was lost.
"""

from __future__ import annotations

import secrets

from shequ.core import leases

# The namespace (first key) of the claim locks; the second key is the batch's random ``Delivery.claim_key``.
_LOCK_SPACE = 0x53485141  # "SHQA" (imports use "SHQI")


def advisory() -> bool:
    return leases.available()


def hold() -> int | None:
    """A new claim key, its lock held by this connection (None without advisory locks)."""
    if not advisory():
        return None
    key = secrets.randbits(31)
    leases.hold(_LOCK_SPACE, key)
    return key


def let_go(key: int | None) -> None:
    if key is not None:
        leases.let_go(_LOCK_SPACE, key, f"alert claim {key}")


def lost(key: int) -> bool:
    """No live worker holds the claim."""
    return leases.free(_LOCK_SPACE, key)
