"""The shared cache (Redis), made to fail soft: with Redis down the platform keeps serving, slower.

Nothing shequ keeps in the cache is the only copy of anything (the database is the source): counts for the grid
overview, the OIDC discovery document, an import's progress bar, the locate index's version. So when Redis does not
answer, a read is a miss and a write is skipped, and for ``RETRY_SECONDS`` after a failure Redis is not
asked at all: a request must not wait for a connect timeout on every cache call. Each outage is logged once when it
starts and once when it ends; ``down()`` tells the readiness check.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0

_down_since: float | None = None
_retry_at = 0.0
_lock = threading.Lock()


def down() -> float | None:
    """When the shared cache stopped answering (a ``time.time()``), or None while it answers."""
    return _down_since


def _failed(error: Exception) -> None:
    global _down_since, _retry_at
    with _lock:
        if _down_since is None:
            _down_since = time.time()
            log.warning("cache: Redis does not answer (%s); serving without it", error)
        _retry_at = time.monotonic() + RETRY_SECONDS


def _answered() -> None:
    global _down_since
    if _down_since is not None:
        with _lock:
            if _down_since is not None:
                log.warning("cache: Redis answers again after %.0f s", time.time() - _down_since)
                _down_since = None


def _guard(name: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
        if _down_since is not None and time.monotonic() < _retry_at:
            return fallback(*args, **kwargs)
        try:
            result = getattr(RedisCache, name)(self, *args, **kwargs)
        except Exception as e:  # redis-py's ConnectionError, TimeoutError, ResponseError ...
            _failed(e)
            return fallback(*args, **kwargs)
        _answered()
        return result

    method.__name__ = name
    return method


def _default(_key: Any, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return default


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


class ResilientRedisCache(RedisCache):
    """Django's Redis cache whose failures are misses (reads) and no-ops (writes)."""

    get = _guard("get", _default)
    get_many = _guard("get_many", lambda *a, **k: {})
    has_key = _guard("has_key", lambda *a, **k: False)
    set = _guard("set", _nothing)
    set_many = _guard("set_many", lambda *a, **k: [])
    add = _guard("add", lambda *a, **k: False)
    touch = _guard("touch", lambda *a, **k: False)
    delete = _guard("delete", lambda *a, **k: False)
    delete_many = _guard("delete_many", _nothing)
    clear = _guard("clear", lambda *a, **k: False)
