"""Uploaded files on the local disk, never half-written: a write that fails (the disk under var/ full) removes
what it had written and raises ``StorageFull`` (507), so the request's transaction rolls back with nothing left."""

from __future__ import annotations

import errno
import os
from typing import Any

from django.core.files.storage import FileSystemStorage

from .errors import StorageFull


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


class SafeFileSystemStorage(FileSystemStorage):
    def _save(self, name: str, content: Any) -> str:
        full_path = self.path(name)
        existed = os.path.exists(full_path)
        try:
            return super()._save(name, content)
        except OSError as e:
            # Django created the file exclusively before writing: what is there now is the partial write.
            if not existed and os.path.exists(full_path):
                os.unlink(full_path)
            if is_disk_full(e):
                raise StorageFull() from e
            raise
