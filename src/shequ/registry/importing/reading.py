"""Reading a ledger file (CSV or XLSX) into rows of strings keyed by the header, with spreadsheet row numbers."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.utils.translation import gettext as _

from shequ.core.errors import InvalidInput

# Tried in order: utf-8-sig also reads plain UTF-8; GB18030 covers GBK/GB2312, what Excel on Chinese Windows writes.
ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class Row:
    """One data row: ``number`` is the row as the spreadsheet shows it (the header is row 1)."""

    number: int
    cells: dict[str, str]


@dataclass
class Table:
    headers: list[str]
    rows: list[Row] = field(default_factory=list)
    file_name: str = ""
    sha256: str = ""


def _text(value: object) -> str:
    """A cell as text. Numbers typed into Excel come back as floats: 13800138000.0 is the phone 13800138000."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table(records: list[list[object]], file_name: str, digest: str) -> Table:
    if not records:
        raise InvalidInput(_("The file is empty."), code="file_empty")
    headers = [_text(h) for h in records[0]]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise InvalidInput(_("The first row must hold the column headers."), code="file_no_headers")
    table = Table(headers=headers, file_name=file_name, sha256=digest)
    for number, record in enumerate(records[1:], start=2):
        cells = {h: _text(v) for h, v in zip(headers, record, strict=False) if h}
        if any(cells.values()):  # blank lines are not rows
            table.rows.append(Row(number, cells))
    return table


def _decode(content: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(_("The CSV file is neither UTF-8 nor GB18030 text."), code="file_encoding")


def read_table(content: bytes, file_name: str) -> Table:
    """Rows of a CSV (UTF-8, UTF-8 with BOM or GB18030) or XLSX (first sheet) file."""
    digest = hashlib.sha256(content).hexdigest()
    suffix = Path(file_name).suffix.lower()
    if suffix == ".csv":
        records: list[list[object]] = [list(r) for r in csv.reader(io.StringIO(_decode(content), newline=""))]
    elif suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged or mislabelled file
            raise InvalidInput(_("The file is not a readable XLSX workbook."), code="file_unreadable") from None
        try:
            records = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    else:
        raise InvalidInput(_("Only CSV and XLSX files can be imported."), code="file_type")
    return _table(records, file_name, digest)


def read_file(path: str | Path) -> Table:
    path = Path(path)
    return read_table(path.read_bytes(), path.name)
