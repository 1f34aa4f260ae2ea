"""Imports of departments' ledgers (台账): read a CSV/XLSX file, map its columns to dictionary fields, import."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy

from shequ.access.models import User

from ..models import LedgerSource, Organization, Person
from . import kinds
from .batches import ImportReport, Progress
from .mapping import ColumnMapping, builtin_fields, importable_fields, resolve_mapping, save_mapping, suggest
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
    """Import a read ledger with the importer of the source's record type (people, organisations, or a type another
    app registered in ``kinds``)."""
    importer = kinds.get(source.record_type).importer
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


kinds.register(
    kinds.RecordType("person", gettext_lazy("People"), Person, lambda: builtin_fields("person"), import_people)
)
kinds.register(
    kinds.RecordType(
        "organization",
        gettext_lazy("Organizations"),
        Organization,
        lambda: builtin_fields("organization"),
        import_organizations,
    )
)
