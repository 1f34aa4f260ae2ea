"""Notice attachments: PDF, images and office documents, recognised by their first bytes, within a size limit."""

from __future__ import annotations

import os
import zipfile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from shequ.core.errors import InvalidInput

MAX_ATTACHMENTS = 10
# 20 MB unless SHEQU_NOTICE_ATTACHMENT_MAX_BYTES says otherwise.

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc/.xls/.ppt
ZIP = b"PK\x03\x04"  # the container of .docx/.xlsx/.pptx
# extension -> (content type, magic prefix)
KINDS: dict[str, tuple[str, bytes]] = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".gif": ("image/gif", b"GIF8"),
    ".webp": ("image/webp", b"RIFF"),
    ".doc": ("application/msword", OLE),
    ".xls": ("application/vnd.ms-excel", OLE),
    ".ppt": ("application/vnd.ms-powerpoint", OLE),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP),
}
# The part an Office Open XML package must hold (a renamed .zip of anything does not pass).
OOXML_PART = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}


def max_bytes() -> int:
    return settings.SHEQU_NOTICE_ATTACHMENT_MAX_BYTES


def _refuse(name: str, allowed: str | None = None) -> InvalidInput:
    if allowed is not None:
        return InvalidInput(
            _("%(name)s is not an allowed file: %(allowed)s only.") % {"name": name, "allowed": allowed},
            code="attachment_type",
            field="file",
        )
    return InvalidInput(
        _("%(name)s is not an allowed file: PDF, images (JPEG, PNG, GIF, WebP) or Office documents only.")
        % {"name": name},
        code="attachment_type",
        field="file",
    )


def check(
    upload: UploadedFile, *, extensions: frozenset[str] | None = None, limit: int | None = None, allowed: str = ""
) -> str:
    """The file's content type, when its name and its first bytes agree on an allowed kind. Raises InvalidInput.

    Other apps narrow the kinds (``extensions``, a subset of ``KINDS``, described to the user as ``allowed``) and
    give their own size ``limit``."""
    name = os.path.basename(upload.name or "")
    if not name:
        raise InvalidInput(_("Choose a file."), code="attachment_missing", field="file")
    limit = limit or max_bytes()
    if (upload.size or 0) > limit:
        raise InvalidInput(
            _("%(name)s is larger than %(mb)s MB.") % {"name": name, "mb": limit // (1024 * 1024)},
            code="attachment_too_large",
            field="file",
        )
    if not upload.size:
        raise InvalidInput(_("%(name)s is empty.") % {"name": name}, code="attachment_empty", field="file")
    ext = os.path.splitext(name)[1].lower()
    if ext not in KINDS or (extensions is not None and ext not in extensions):
        raise _refuse(name, allowed or None)
    content_type, magic = KINDS[ext]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(magic) or (ext == ".webp" and head[8:12] != b"WEBP"):
        raise _refuse(name, allowed or None)
    if ext in OOXML_PART:
        try:
            with zipfile.ZipFile(upload) as package:
                names = package.namelist()
        except (zipfile.BadZipFile, OSError):
            raise _refuse(name) from None
        finally:
            upload.seek(0)
        if "[Content_Types].xml" not in names or not any(n.startswith(OOXML_PART[ext]) for n in names):
            raise _refuse(name)
    return content_type
