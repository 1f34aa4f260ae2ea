"""Encryption at rest of highly sensitive (L4) values, and keyed blind indexes to find them by exact value.

* ``encrypt(text) -> token`` and ``decrypt(token) -> text``: SM4-GCM (GB/T 32907, the default) or AES-256-GCM, as
  ``SHEQU_CIPHER`` says. A token names its format version, cipher and key id (``e1.sm4.k7Q2.<base64>``), so any key
  still loaded decrypts it whatever the current setting, and re-encryption (``manage.py rotate_keys``) knows which
  values are not under the current key yet.
* ``blind_index(text) -> "<key id>.<hex>"``: HMAC-SHA256 under a separate index key, truncated to 128 bits. Equal
  values have equal indexes, so an indexed column answers "who has this ID number" without decrypting anything;
  the index says nothing about the value to whoever lacks the key. ``blind_indexes(text)`` gives it under every
  loaded index key, so lookups keep working while ``rotate_keys --reindex`` moves the column to a new key.

Keys never live in the database: ``SHEQU_DATA_KEYS`` / ``SHEQU_INDEX_KEYS`` in the environment
(``"id:base64,id:base64"``, 32 random bytes each; the first one encrypts or indexes, all of them decrypt or are
looked up), else the key file ``SHEQU_DATA_KEY_FILE`` (generated once, mode 0600, like the secret key). A token under
a key that is not loaded, a token that was tampered with, or a malformed key setting fails loudly
(``KeyMissing``, ``TokenInvalid``, ``ImproperlyConfigured``): never a silent wrong value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from shequ.core import keyfiles

VERSION = "e1"
# Setting value -> the short name written in tokens.
CIPHERS = {"sm4-gcm": "sm4", "aes-256-gcm": "aes"}
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
INDEX_HEX = 32  # 128 bits of the HMAC: no collision in any registry's lifetime, half the index size
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")


class CryptoError(Exception):
    """A value cannot be decrypted. Never caught to carry on with a wrong or empty value."""


class KeyMissing(CryptoError):
    """The token's key is not among the loaded keys (a wrong key file, a key removed too early)."""


class TokenInvalid(CryptoError):
    """Not a token of ours, or it fails authentication (tampered with, or encrypted under another key of that id)."""


@dataclass(frozen=True)
class Keyring:
    cipher: str  # short name: "sm4" or "aes"
    data: tuple[tuple[str, bytes], ...]  # (key id, key), the first encrypts
    index: tuple[tuple[str, bytes], ...]  # (key id, key), the first indexes

    @property
    def data_id(self) -> str:
        return self.data[0][0]

    @property
    def index_id(self) -> str:
        return self.index[0][0]

    def data_key(self, key_id: str) -> bytes:
        for kid, key in self.data:
            if kid == key_id:
                return key
        loaded = ", ".join(k for k, _v in self.data)
        raise KeyMissing(
            f"data key {key_id!r} is not loaded (loaded: {loaded}); set SHEQU_DATA_KEYS or SHEQU_DATA_KEY_FILE "
            "to the keys this database was encrypted with"
        )


# --- keys --------------------------------------------------------------------------------------------------------


def new_key_line(kind: str) -> str:
    """A fresh key as one line of the key file (``data <id> <base64>``), for a new or rotated key."""
    return f"{kind} {secrets.token_hex(3)} {base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


def _parse_key(kid: str, text: str, origin: str) -> tuple[str, bytes]:
    if not _KEY_ID.fullmatch(kid):
        raise ImproperlyConfigured(f"{origin}: key id {kid!r} must be 1-16 letters, digits, '-' or '_'")
    try:
        key = base64.b64decode(text.strip(), altchars=b"-_", validate=True)  # standard or URL-safe alphabet
    except (binascii.Error, ValueError) as e:
        raise ImproperlyConfigured(f"{origin}: key {kid!r} is not valid base64") from e
    if len(key) != KEY_BYTES:
        raise ImproperlyConfigured(f"{origin}: key {kid!r} must be {KEY_BYTES} bytes, got {len(key)}")
    return kid, key


def _parse_env(name: str, value: str) -> tuple[tuple[str, bytes], ...]:
    keys = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        kid, sep, text = item.partition(":")
        if not sep:
            raise ImproperlyConfigured(f"{name}: each key is written id:base64, got {item[:8]!r}...")
        keys.append(_parse_key(kid.strip(), text, name))
    return _checked(keys, name)


def _checked(keys: list[tuple[str, bytes]], origin: str) -> tuple[tuple[str, bytes], ...]:
    if not keys:
        raise ImproperlyConfigured(f"{origin}: no key")
    ids = [kid for kid, _k in keys]
    if len(set(ids)) != len(ids):
        raise ImproperlyConfigured(f"{origin}: a key id appears twice")
    return tuple(keys)


def _new_key_file() -> bytes:
    """A new key file with one data and one index key (written once by ``keyfiles.read_or_create``)."""
    return (
        "# shequ encryption keys (docs/encryption.md). Never in the database; keep a copy apart from the\n"
        "# backups: a lost data key loses what it encrypted. The first data line encrypts, the first index\n"
        "# line indexes; the others only decrypt / are looked up.\n"
        f"{new_key_line('data')}\n{new_key_line('index')}\n"
    ).encode()


def _read_key_file(path: Path) -> dict[str, tuple[tuple[str, bytes], ...]]:
    text = keyfiles.read_or_create(path, _new_key_file).decode()
    if path.stat().st_mode & 0o077:
        raise ImproperlyConfigured(f"{path}: the key file must be readable by its owner only (chmod 600)")
    found: dict[str, list[tuple[str, bytes]]] = {"data": [], "index": []}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 3 or parts[0] not in found:
            raise ImproperlyConfigured(f"{path}:{number}: a key line is 'data|index <id> <base64>'")
        found[parts[0]].append(_parse_key(parts[1], parts[2], f"{path}:{number}"))
    return {kind: _checked(keys, f"{path} ({kind} keys)") for kind, keys in found.items()}


_rings: dict[tuple[str, str, str, str], Keyring] = {}


def keyring() -> Keyring:
    """The keys of this process, read once per configuration."""
    cipher = getattr(settings, "SHEQU_CIPHER", "sm4-gcm")
    data_env = getattr(settings, "SHEQU_DATA_KEYS", "")
    index_env = getattr(settings, "SHEQU_INDEX_KEYS", "")
    key_file = str(getattr(settings, "SHEQU_DATA_KEY_FILE", "") or Path(settings.VAR_DIR) / "data_keys")
    config = (cipher, data_env, index_env, key_file)
    ring = _rings.get(config)
    if ring is None:
        if cipher not in CIPHERS:
            raise ImproperlyConfigured(f"SHEQU_CIPHER must be one of {', '.join(CIPHERS)}, got {cipher!r}")
        from_file = _read_key_file(Path(key_file)) if not (data_env and index_env) else {}
        ring = Keyring(
            cipher=CIPHERS[cipher],
            data=_parse_env("SHEQU_DATA_KEYS", data_env) if data_env else from_file["data"],
            index=_parse_env("SHEQU_INDEX_KEYS", index_env) if index_env else from_file["index"],
        )
        _rings.clear()
        _rings[config] = ring
    return ring


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: object) -> None:
    if setting.startswith("SHEQU_") and ("KEY" in setting or setting == "SHEQU_CIPHER"):
        _rings.clear()
        _ciphers.clear()


# --- the ciphers --------------------------------------------------------------------------------------------------

_ciphers: dict[tuple[str, str], object] = {}


def _subkey(ring: Keyring, cipher: str, key_id: str) -> bytes:
    """The key a cipher uses, derived from the key of that id (HKDF), so one key never serves two algorithms."""
    length = 16 if cipher == "sm4" else 32
    info = f"shequ {VERSION} {cipher}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(ring.data_key(key_id))


def _aes(ring: Keyring, key_id: str) -> AESGCM:
    found = _ciphers.get(("aes", key_id))
    if found is None:
        found = _ciphers[("aes", key_id)] = AESGCM(_subkey(ring, "aes", key_id))
    return found  # type: ignore[return-value]


def _sm4_key(ring: Keyring, key_id: str) -> bytes:
    found = _ciphers.get(("sm4", key_id))
    if found is None:
        found = _ciphers[("sm4", key_id)] = _subkey(ring, "sm4", key_id)
    return found  # type: ignore[return-value]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def current_prefix() -> str:
    """What every token under the current cipher and key starts with (the others are re-encrypted by rotation)."""
    ring = keyring()
    return f"{VERSION}.{ring.cipher}.{ring.data_id}."


def _seal(ring: Keyring, plain: bytes, header: bytes) -> bytes:
    """nonce + ciphertext + tag under the current cipher and key, authenticating ``header``."""
    nonce = os.urandom(NONCE_BYTES)
    if ring.cipher == "aes":
        return nonce + _aes(ring, ring.data_id).encrypt(nonce, plain, header)
    encryptor = Cipher(algorithms.SM4(_sm4_key(ring, ring.data_id)), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(header)
    return nonce + encryptor.update(plain) + encryptor.finalize() + encryptor.tag


def _open(cipher: str, key_id: str, raw: bytes, header: bytes) -> bytes:
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise TokenInvalid("an encrypted value is truncated")
    ring = keyring()
    nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    try:
        if cipher == "aes":
            return _aes(ring, key_id).decrypt(nonce, sealed, header)
        tag = sealed[-TAG_BYTES:]
        decryptor = Cipher(algorithms.SM4(_sm4_key(ring, key_id)), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(header)
        return decryptor.update(sealed[:-TAG_BYTES]) + decryptor.finalize()
    except InvalidTag as e:
        raise TokenInvalid(
            f"an encrypted value under key {key_id!r} fails authentication: tampered with, or the loaded key "
            f"{key_id!r} is not the one it was encrypted with"
        ) from e


def encrypt(text: str) -> str:
    """A token for ``text`` under the current cipher and key (a new random nonce each time)."""
    ring = keyring()
    header = f"{VERSION}.{ring.cipher}.{ring.data_id}"
    return f"{header}.{_b64(_seal(ring, text.encode('utf-8'), header.encode()))}"


def is_token(value: str) -> bool:
    return value.startswith(f"{VERSION}.") and value.count(".") == 3


def decrypt(token: str) -> str:
    """The text of a token from ``encrypt``; ``KeyMissing`` or ``TokenInvalid`` when it cannot be had."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != VERSION or parts[1] not in CIPHERS.values():
        raise TokenInvalid(f"not an encrypted value (starts {token[:8]!r})")
    _version, cipher, key_id, body = parts
    try:
        raw = _unb64(body)
    except (binascii.Error, ValueError) as e:
        raise TokenInvalid("an encrypted value is damaged (base64)") from e
    return _open(cipher, key_id, raw, f"{VERSION}.{cipher}.{key_id}".encode()).decode("utf-8")


# Files (kept uploads): a first line naming the format, cipher and key, then nonce + ciphertext + tag.
FILE_MAGIC = b"shequ-encrypted-" + VERSION.encode() + b" "


def encrypt_bytes(data: bytes) -> bytes:
    ring = keyring()
    header = FILE_MAGIC + f"{ring.cipher}.{ring.data_id}\n".encode()
    return header + _seal(ring, data, header)


def is_encrypted_bytes(data: bytes) -> bool:
    return data.startswith(FILE_MAGIC)


def bytes_are_current(data: bytes) -> bool:
    ring = keyring()
    return data.startswith(FILE_MAGIC + f"{ring.cipher}.{ring.data_id}\n".encode())


def decrypt_bytes(data: bytes) -> bytes:
    """The bytes of ``encrypt_bytes``; ``TokenInvalid`` for anything else."""
    if not is_encrypted_bytes(data) or b"\n" not in data[:64]:
        raise TokenInvalid("not an encrypted file")
    end = data.index(b"\n") + 1
    cipher, _dot, key_id = data[len(FILE_MAGIC) : end - 1].decode("ascii", "replace").partition(".")
    if cipher not in CIPHERS.values():
        raise TokenInvalid("an encrypted file names an unknown cipher")
    return _open(cipher, key_id, data[end:], data[:end])


def is_current(token: str) -> bool:
    """Whether a token is under the current cipher and key (rotation leaves it alone)."""
    return token.startswith(current_prefix())


def reencrypt(token: str) -> str:
    """The same value under the current cipher and key (unchanged if it already is)."""
    return token if is_current(token) else encrypt(decrypt(token))


# --- blind indexes --------------------------------------------------------------------------------------------


def _index(key_id: str, key: bytes, text: str) -> str:
    digest = hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:INDEX_HEX]
    return f"{key_id}.{digest}"


def blind_index(text: str) -> str:
    """The blind index of ``text`` under the current index key: ``<key id>.<32 hex>``. Callers normalise first
    (an ID number in its 18-character upper-case form), since only identical text has an identical index."""
    kid, key = keyring().index[0]
    return _index(kid, key, text)


def blind_indexes(text: str) -> list[str]:
    """The index of ``text`` under every loaded index key, current first: what a lookup matches against, so rows
    not yet re-indexed under a new key are still found."""
    return [_index(kid, key, text) for kid, key in keyring().index]


def index_prefix() -> str:
    """What every index under the current index key starts with."""
    return f"{keyring().index_id}."


__all__ = [
    "CryptoError",
    "KeyMissing",
    "TokenInvalid",
    "blind_index",
    "blind_indexes",
    "current_prefix",
    "decrypt",
    "decrypt_bytes",
    "encrypt",
    "encrypt_bytes",
    "index_prefix",
    "is_current",
    "keyring",
    "new_key_line",
    "reencrypt",
]
