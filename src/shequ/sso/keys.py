"""The provider's RS256 signing key: from a file the operator names, else generated once under var/.

Imported by settings.py, so it uses the standard library and ``cryptography`` only (no Django). The key never goes
into the database: whoever can read the database must not be able to sign ID tokens.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

GENERATED_NAME = "oidc_private_key.pem"


def _generate_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def oidc_private_key(path: str, var_dir: Path) -> str:
    """The PEM text of the signing key. ``path`` (SHEQU_OIDC_PRIVATE_KEY_FILE) must exist when given; without it
    the key lives in ``var_dir``, created with mode 0600 the first time any process needs it."""
    if path:
        try:
            return Path(path).read_text()
        except OSError as e:
            raise RuntimeError(f"SHEQU_OIDC_PRIVATE_KEY_FILE {path!r} cannot be read: {e}") from e
    target = var_dir / GENERATED_NAME
    if not target.exists():
        # Write a private temporary file, then link it into place: two processes starting together end up with
        # the same key (the loser's link fails and it reads the winner's), and no one ever sees half a file.
        fd, tmp = tempfile.mkstemp(dir=var_dir, prefix=".oidc-key-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(_generate_pem())
            try:
                os.link(tmp, target)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    return target.read_text()
