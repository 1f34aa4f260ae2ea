"""The record types a ledger can hold: people and organisations (this app's own), and those other apps register
(the services app's aid ledger). The registry knows none of the others: an app adds one in its ``ready()``.

A record type brings the fields an import of it may fill (dictionary fields, with any columns of another record it
needs to find its rows' records), the model whose text lengths the row parser checks, and its importer (the same
contract as ``people.import_people``: ``batches.run_batch`` with its own ``Run``). ``report_url`` may name a page
that reports on a batch beyond its rejections (the aid checks' findings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from shequ.core.errors import InvalidInput

from ..dictionary import Field


@dataclass(frozen=True)
class RecordType:
    code: str
    label: Any  # a lazy Chinese name: "people", "aid items"
    model: type[models.Model]
    fields: Callable[[], dict[str, Field]]
    importer: Callable[..., Any]
    report_url: Callable[[Any], str | None] | None = None


_TYPES: dict[str, RecordType] = {}


def register(record_type: RecordType) -> None:
    _TYPES[record_type.code] = record_type


def get(code: str) -> RecordType:
    found = _TYPES.get(code)
    if found is None:
        raise InvalidInput(_("This ledger source holds no importable records."), code="record_type_unknown")
    return found


def codes() -> list[str]:
    return list(_TYPES)


def choices() -> list[tuple[str, Any]]:
    return [(t.code, t.label) for t in _TYPES.values()]


def report_url(batch: Any) -> str | None:
    """The page reporting on this batch beyond its rejections, if its record type has one."""
    found = _TYPES.get(batch.source.record_type)
    return found.report_url(batch) if found is not None and found.report_url is not None else None
