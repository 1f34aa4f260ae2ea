"""Uploaded ledger files and who may import them: the page keeps each upload until it is applied, so the real
import reads the very file its dry run checked.

Files live under ``SHEQU_IMPORT_DIR`` (never served), named by their SHA-256 and suffix, so the same file uploaded
twice is kept once. A ledger lists ID numbers, so the kept file is encrypted at rest (``crypto.encrypt_bytes``; a
file kept before encryption is still read, and encrypted by ``manage.py rotate_keys``).

Batches are visible to administrators, and otherwise to users whose area covers the area of the
user who ran them (a street sees its communities' batches).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.access.scopes import area_prefix, manages_area
from shequ.core import crypto
from shequ.core.errors import InvalidInput, NotFound, StorageFull
from shequ.core.storage import is_disk_full

from ..models import ImportBatch, LedgerSource
from .reading import Table, read_table


def _dir() -> Path:
    return Path(settings.SHEQU_IMPORT_DIR)


def _path(sha256: str, file_name: str) -> Path:
    return _dir() / f"{sha256}{Path(file_name).suffix.lower()}"


def store_upload(content: bytes, file_name: str) -> Table:
    """Check an uploaded file (size, type, encoding, headers) and keep it; the table read from it."""
    limit = settings.SHEQU_IMPORT_MAX_BYTES
    if len(content) > limit:
        raise InvalidInput(_("The file is larger than %(n)d MB.") % {"n": limit // (1024 * 1024)}, code="file_size")
    table = read_table(content, file_name)
    path = _path(table.sha256, file_name)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        try:
            partial.write_bytes(crypto.encrypt_bytes(content))
        except OSError as e:
            partial.unlink(missing_ok=True)  # nothing half-written stays behind
            if is_disk_full(e):
                raise StorageFull() from e
            raise
        partial.replace(path)  # a reader never sees half a file
    return table


def has_upload(batch: ImportBatch) -> bool:
    return bool(batch.sha256) and _path(batch.sha256, batch.file_name).exists()


def load_upload(sha256: str, file_name: str) -> Table:
    path = _path(sha256, file_name)
    if not path.exists():
        raise InvalidInput(_("The uploaded file is no longer kept: upload it again."), code="upload_gone")
    return read_table(read_kept(path), file_name)


def read_kept(path: Path) -> bytes:
    """A kept file's bytes, decrypted (a file kept before encryption at rest is read as it is)."""
    data = path.read_bytes()
    return crypto.decrypt_bytes(data) if crypto.is_encrypted_bytes(data) else data


def kept_files() -> list[Path]:
    """Every kept upload (for re-encryption under a new key)."""
    folder = _dir()
    return (
        sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith(".part")) if folder.is_dir() else []
    )


def reencrypt_kept(path: Path) -> bool:
    """Rewrite a kept file under the current key; False if it already was."""
    data = path.read_bytes()
    if crypto.is_encrypted_bytes(data) and crypto.bytes_are_current(data):
        return False
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_bytes(crypto.encrypt_bytes(read_kept(path)))
    partial.replace(path)
    return True


def ledger_source(*, name: str, department: str, record_type: str) -> LedgerSource:
    """The ledger source of that name, created with its department and record type when new."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Choose a ledger source or name a new one."), code="source_required", field="new_name")
    from . import kinds

    if record_type not in kinds.codes():
        raise InvalidInput(
            _("Choose what the ledger lists: people or organizations."), code="record_type", field="record_type"
        )
    source, _created = LedgerSource.objects.get_or_create(
        name=name, defaults={"department": (department or "").strip(), "record_type": record_type}
    )
    return source


def may_import(user: User) -> bool:
    """Community staff and above (the desks and administrators) import ledgers; grid workers collect instead."""
    return manages_area(user)


def batches_for(user: User) -> QuerySet[ImportBatch]:
    batches = ImportBatch.objects.select_related("source", "by").order_by("-started_at", "-id")
    prefix = area_prefix(user) if may_import(user) else None
    if prefix is None:
        return batches.none()
    if prefix == "":
        return batches
    return batches.filter(by__region__code__startswith=prefix)


def get_batch_for(user: User, pk: int) -> ImportBatch:
    try:
        return batches_for(user).get(pk=pk)
    except ImportBatch.DoesNotExist:
        raise NotFound() from None
