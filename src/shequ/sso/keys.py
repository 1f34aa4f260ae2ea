"""The provider's RS256 signing key: from a file the operator names, else generated once under var/.

Imported by settings.py, so it uses the standard library and ``cryptography`` only (no Django). The key never goes
into the database: whoever can read the database must not be able to sign ID tokens.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shequ.core import keyfiles

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
    return keyfiles.read_or_create(var_dir / GENERATED_NAME, _generate_pem).decode()
