"""Key files generated once under var/ (encryption keys, the OIDC signing key, the VAPID key): never in the database.

Standard library only, so settings.py may import it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes, writing ``make()`` there first if it does not exist yet.

    The new file is written privately (mode 0600 from its first byte) under a temporary name and linked into place:
    two processes starting together end up with the same key (the loser's link fails and it reads the winner's), and
    no one ever reads half a file."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as file:
                file.write(make())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    return path.read_bytes()
