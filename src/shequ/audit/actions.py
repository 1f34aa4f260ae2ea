"""The one write: append an entry to the chain. Every app calls ``shequ.audit.record``."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.http import HttpRequest

from shequ.core import clock
from shequ.core.middleware import is_api

from .chain import GENESIS, digest
from .middleware import current_request
from .models import Action, AuditEntry, AuditHead, Channel


@dataclass(frozen=True)
class Target:
    """What an entry is about when it is not a single model instance (a batch, a query, a file)."""

    type: str
    id: str = ""
    area_code: str = ""


def target_of(obj: Target | models.Model | None) -> Target:
    if obj is None:
        return Target(type="")
    if isinstance(obj, Target):
        return obj
    label = obj._meta.label_lower
    area = getattr(obj, "area_code", None)
    if area is None and label == "geo.region":
        area = obj.code  # type: ignore[attr-defined]
    return Target(type=label, id=str(obj.pk), area_code=str(area or ""))


def _client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a forwarded header is whatever the client wants it to be unless a proxy rewrites it.
    raw = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return ""


def _actor_of(request: HttpRequest) -> Any:
    auth = getattr(request, "auth", None)  # django-ninja puts the token's user here
    if getattr(auth, "is_authenticated", False):
        return auth
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def _channel_of(request: HttpRequest | None) -> str:
    if request is None:
        return Channel.COMMAND
    return Channel.API if is_api(request) else Channel.PAGE


def _plain(value: Any) -> Any:
    """What the JSON column will hand back, so the hash computed now equals the hash recomputed later.
    Floats become text: PostgreSQL's jsonb may print them back differently (1e20 as 100000000000000000000)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False), parse_float=str)


def _text(value: str) -> str:
    # PostgreSQL refuses NUL in text; a hostile user agent must not turn a sign-in into a server error.
    return str(value).replace("\x00", "")


def _lock_head() -> AuditHead:
    try:
        return AuditHead.objects.select_for_update().get(pk=1)
    except AuditHead.DoesNotExist:
        AuditHead.objects.get_or_create(pk=1)  # a concurrent creator loses the insert and reads the winner's row
        return AuditHead.objects.select_for_update().get(pk=1)


def record(
    action: str,
    *,
    actor: Any = None,
    request: HttpRequest | None = None,
    target: Target | models.Model | None = None,
    fields: Iterable[str] = (),
    purpose: str = "",
    detail: Mapping[str, Any] | None = None,
    channel: str | None = None,
) -> AuditEntry:
    """Append one entry. Runs inside the caller's transaction when there is one, so a write that rolls back
    leaves no entry (and no gap); the head row stays locked until that transaction ends, so keep it short.

    ``request`` supplies the actor (if not given), IP, user agent and channel; it defaults to the request being
    served (``middleware.RequestContext``); without one the channel is "command". ``fields`` names the fields read
    or changed (dictionary names), never their values.
    """
    action = Action(action).value  # an unknown action is a programming error: ValueError
    if request is None and channel is None:
        request = current_request.get()
    if actor is None and request is not None:
        actor = _actor_of(request)
    aimed = target_of(target)
    values: dict[str, Any] = {
        "actor_id": actor.pk if actor is not None else None,
        "actor_username": _text(actor.get_username())[:150] if actor is not None else "",
        "ip": _client_ip(request) if request is not None else "",
        "user_agent": _text(request.META.get("HTTP_USER_AGENT", ""))[:300] if request is not None else "",
        "channel": Channel(channel).value if channel else _channel_of(request),
        "action": action,
        "target_type": aimed.type[:60],
        "target_id": aimed.id[:64],
        "area_code": aimed.area_code[:20],
        "fields": _plain([str(f) for f in fields]),
        "purpose": _text(purpose),
        "detail": _plain(dict(detail or {})),
    }
    # No savepoint of its own inside the caller's transaction (two round trips less while the head is locked): a
    # failure here fails the caller's whole transaction, which is what it would do anyway.
    with transaction.atomic(savepoint=False):
        head = _lock_head()
        values["sequence"] = head.sequence + 1
        values["prev_hash"] = head.hash or GENESIS
        values["at"] = clock.now()
        entry = AuditEntry(**values, hash=digest(values))
        entry.save(force_insert=True)
        head.sequence, head.hash = entry.sequence, entry.hash
        head.save(update_fields=["sequence", "hash"])
    return entry


def record_username(action: str, *, username: str, request: HttpRequest | None) -> None:
    """A failed sign-in has no actor, only the name that was typed."""
    record(action, actor=_Named(username), request=request)


@dataclass(frozen=True)
class _Named:
    username: str
    pk: None = None

    def get_username(self) -> str:
        return self.username
