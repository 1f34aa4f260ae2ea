"""What the community API's modules share: the id path parameter, paging, the idempotency key, small renderers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path

from shequ.core.errors import InvalidInput
from shequ.geo.models import Region
from shequ.registry.schemas import MAX_ID

PK = Path(..., ge=1, le=MAX_ID)
PAGE = 20


def region_ref(region: Region) -> dict:
    return {"code": region.code, "name": region.name}


def idempotency_key(request: HttpRequest, key: str) -> str:
    key = key or request.headers.get("Idempotency-Key", "")[:64]
    if not key:
        raise InvalidInput(_("Send an idempotency key (key, or the Idempotency-Key header)."), code="key_required")
    return key


def paged(qs: Any, page: int) -> tuple[int, list]:
    count = qs.count()
    return count, list(qs[(page - 1) * PAGE : page * PAGE])


def sqm(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"
