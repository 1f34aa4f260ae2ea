"""Imports of departments' ledgers (台账): read a CSV/XLSX file, map its columns to dictionary fields, import."""

from __future__ import annotations

from pathlib import Path

from shequ.access.models import User

from ..models import LedgerSource
from .batches import ImportReport, Progress
from .mapping import ColumnMapping, importable_fields, resolve_mapping, save_mapping, suggest
from .organizations import import_organizations
from .people import import_people
from .reading import Row, Table, read_file, read_table
from .values import Fault

__all__ = [
    "ColumnMapping",
    "Fault",
    "ImportReport",
    "Row",
    "Table",
    "import_file",
    "import_organizations",
    "import_people",
    "import_table",
    "importable_fields",
    "read_file",
    "read_table",
    "resolve_mapping",
    "save_mapping",
    "suggest",
]


def import_table(
    table: Table,
    *,
    source: LedgerSource,
    by: User | None,
    dry_run: bool,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a read ledger with the importer of the source's record type (people or organisations)."""
    importer = import_organizations if source.record_type == "organization" else import_people
    return importer(
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


def import_file(
    path: str | Path,
    *,
    source: LedgerSource,
    by: User | None,
    dry_run: bool,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Read a ledger file and import it (the file's name and SHA-256 are kept on the batch)."""
    return import_table(read_file(path), source=source, by=by, dry_run=dry_run, mapping=mapping, progress=progress)
