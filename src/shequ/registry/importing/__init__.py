"""Imports of departments' ledgers (台账): read a CSV/XLSX file, map its columns to dictionary fields, import."""

from __future__ import annotations

from pathlib import Path

from shequ.access.models import User

from ..models import LedgerSource
from .mapping import ColumnMapping, resolve_mapping, save_mapping
from .people import ImportReport, Progress, import_people
from .reading import Row, Table, read_file, read_table
from .values import Fault

__all__ = [
    "ColumnMapping",
    "Fault",
    "ImportReport",
    "Row",
    "Table",
    "import_file",
    "import_people",
    "read_file",
    "read_table",
    "resolve_mapping",
    "save_mapping",
]


def import_file(
    path: str | Path,
    *,
    source: LedgerSource,
    by: User | None,
    dry_run: bool,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Read a ledger file and import its people (the file's name and SHA-256 are kept on the batch)."""
    table = read_file(path)
    return import_people(
        source=source,
        rows=table.rows,
        headers=table.headers,
        by=by,
        dry_run=dry_run,
        mapping=mapping,
        file_name=table.file_name,
        sha256=table.sha256,
        progress=progress,
    )
