"""Photos on events: the real type from the file's first bytes, within the allowed size."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput

from .models import Event, EventPhoto

MAX_PHOTOS = 9

_SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}


def check_photos(files: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    """Each file's real type from its first bytes (not the name or the browser's claim),
    within the allowed types and size. Raises InvalidInput naming the file."""
    if len(files) > MAX_PHOTOS:
        raise InvalidInput(_("At most %(n)s photos.") % {"n": MAX_PHOTOS}, code="photo_count", field="photos")
    checked = []
    for f in files:
        if (f.size or 0) > settings.SHEQU_PHOTO_MAX_BYTES:
            raise InvalidInput(
                _("Photo %(name)s is larger than %(mb)s MB.")
                % {"name": f.name, "mb": settings.SHEQU_PHOTO_MAX_BYTES // (1024 * 1024)},
                code="photo_too_large",
                field="photos",
            )
        head = f.read(12)
        f.seek(0)
        kind = next(
            (
                t
                for t, sigs in _SIGNATURES.items()
                if any(head.startswith(s) for s in sigs) and (t != "image/webp" or head[8:12] == b"WEBP")
            ),
            None,
        )
        if kind is None or kind not in settings.SHEQU_PHOTO_TYPES:
            raise InvalidInput(
                _("Photo %(name)s is not a JPEG, PNG or WebP image.") % {"name": f.name},
                code="photo_type",
                field="photos",
            )
        checked.append((f, kind))
    return checked


def attach(event: Event, photos: Iterable[tuple[UploadedFile, str]], *, stage: str, by: User | None) -> None:
    for f, kind in photos:
        EventPhoto.objects.create(
            event=event,
            stage=stage,
            file=f,
            content_type=kind,
            size=f.size or 0,
            uploaded_by=by,
            created_at=clock.now(),
        )
