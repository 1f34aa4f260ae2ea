"""Encryption at rest (shequ.core.crypto): both ciphers, tokens naming their key, blind indexes, loud failures."""

from __future__ import annotations

import base64
import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from shequ.core import crypto


def key(n: int) -> str:
    return base64.b64encode(bytes([n]) * 32).decode()


K1, K2, I1, I2 = f"k1:{key(1)}", f"k2:{key(2)}", f"i1:{key(11)}", f"i2:{key(12)}"


@pytest.fixture(autouse=True)
def _keys(settings):
    settings.SHEQU_DATA_KEYS = K1
    settings.SHEQU_INDEX_KEYS = I1
    settings.SHEQU_CIPHER = "sm4-gcm"


@pytest.mark.parametrize(("cipher", "short"), [("sm4-gcm", "sm4"), ("aes-256-gcm", "aes")])
def test_both_ciphers_round_trip_with_a_fresh_nonce_each_time(settings, cipher, short):
    settings.SHEQU_CIPHER = cipher
    first, second = crypto.encrypt("44030419500308231X"), crypto.encrypt("44030419500308231X")
    assert first.startswith(f"e1.{short}.k1.") and first != second
    assert "44030419500308231X" not in first
    assert crypto.decrypt(first) == crypto.decrypt(second) == "44030419500308231X"
    assert crypto.decrypt(crypto.encrypt("张建国 ✓")) == "张建国 ✓"


def test_a_token_keeps_decrypting_after_the_cipher_and_key_change(settings):
    old = crypto.encrypt("110101198001010010")
    settings.SHEQU_CIPHER = "aes-256-gcm"
    settings.SHEQU_DATA_KEYS = f"{K2},{K1}"  # k2 encrypts now; k1 still decrypts
    assert crypto.decrypt(old) == "110101198001010010"
    assert not crypto.is_current(old)
    new = crypto.reencrypt(old)
    assert new.startswith("e1.aes.k2.") and crypto.is_current(new) and crypto.reencrypt(new) == new
    assert crypto.decrypt(new) == "110101198001010010"


def test_a_missing_key_fails_loudly_and_names_the_key(settings):
    token = crypto.encrypt("110101198001010010")
    settings.SHEQU_DATA_KEYS = K2
    with pytest.raises(crypto.KeyMissing, match="'k1' is not loaded"):
        crypto.decrypt(token)


def test_a_wrong_key_under_the_same_id_or_a_changed_token_fails_authentication(settings):
    token = crypto.encrypt("110101198001010010")
    body = token.split(".")[3]
    flipped = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    with pytest.raises(crypto.TokenInvalid):
        crypto.decrypt(token.rsplit(".", 1)[0] + "." + flipped)
    with pytest.raises(crypto.TokenInvalid):  # the header is authenticated: another cipher name is refused
        crypto.decrypt(token.replace("e1.sm4.", "e1.aes.", 1))
    settings.SHEQU_DATA_KEYS = f"k1:{key(9)}"
    with pytest.raises(crypto.TokenInvalid, match="fails authentication"):
        crypto.decrypt(token)
    with pytest.raises(crypto.TokenInvalid):
        crypto.decrypt("110101198001010010")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SHEQU_CIPHER", "des", "SHEQU_CIPHER"),
        ("SHEQU_DATA_KEYS", "k1", "id:base64"),
        ("SHEQU_DATA_KEYS", f"k1:{base64.b64encode(b'short').decode()}", "32 bytes"),
        ("SHEQU_DATA_KEYS", "k1:not base64!", "base64"),
        ("SHEQU_DATA_KEYS", f"{K1},{K1}", "twice"),
        ("SHEQU_INDEX_KEYS", f"bad id:{key(3)}", "key id"),
    ],
)
def test_a_bad_key_setting_fails_loudly(settings, name, value, message):
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        crypto.encrypt("x")


def test_without_keys_in_the_environment_a_key_file_is_made_once_owner_only(settings, tmp_path):
    path = tmp_path / "keys" / "data_keys"
    settings.SHEQU_DATA_KEYS = settings.SHEQU_INDEX_KEYS = ""
    settings.SHEQU_DATA_KEY_FILE = path
    token, index = crypto.encrypt("110101198001010010"), crypto.blind_index("110101198001010010")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    kinds = [line.split()[0] for line in path.read_text().splitlines() if line and not line.startswith("#")]
    assert kinds == ["data", "index"]
    crypto._rings.clear()  # a new process: the same file, the same keys
    assert crypto.decrypt(token) == "110101198001010010"
    assert crypto.blind_index("110101198001010010") == index
    path.chmod(0o644)
    crypto._rings.clear()
    with pytest.raises(ImproperlyConfigured, match="chmod 600"):
        crypto.encrypt("x")


def test_a_key_file_line_from_generate_is_accepted(settings, tmp_path):
    path = tmp_path / "data_keys"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, f"{crypto.new_key_line('data')}\n{crypto.new_key_line('index')}\n".encode())
    os.close(fd)
    settings.SHEQU_DATA_KEYS = settings.SHEQU_INDEX_KEYS = ""
    settings.SHEQU_DATA_KEY_FILE = path
    assert crypto.decrypt(crypto.encrypt("x")) == "x"


def test_the_blind_index_is_keyed_deterministic_and_looked_up_under_every_key(settings):
    index = crypto.blind_index("110101198001010010")
    assert index == crypto.blind_index("110101198001010010") != crypto.blind_index("110101198001010028")
    assert index.startswith("i1.") and len(index) == len("i1.") + 32 and "1980" not in index
    settings.SHEQU_INDEX_KEYS = f"{I2},{I1}"
    assert crypto.blind_index("110101198001010010").startswith("i2.")
    assert crypto.blind_indexes("110101198001010010") == [crypto.blind_index("110101198001010010"), index]
    assert crypto.index_prefix() == "i2."


def test_files_round_trip_and_name_their_key(settings):
    data = b"PK\x03\x04 a ledger 110101198001010010"
    sealed = crypto.encrypt_bytes(data)
    assert b"110101198001010010" not in sealed and crypto.bytes_are_current(sealed)
    assert crypto.decrypt_bytes(sealed) == data
    settings.SHEQU_DATA_KEYS = f"{K2},{K1}"
    assert not crypto.bytes_are_current(sealed) and crypto.decrypt_bytes(sealed) == data
    with pytest.raises(crypto.TokenInvalid):
        crypto.decrypt_bytes(sealed[:-1] + bytes([sealed[-1] ^ 1]))


@pytest.mark.parametrize("cipher", ["sm4-gcm", "aes-256-gcm"])
@given(text=st.text(max_size=200))
def test_any_text_round_trips(cipher, text):
    with override_settings(SHEQU_CIPHER=cipher, SHEQU_DATA_KEYS=K1, SHEQU_INDEX_KEYS=I1):
        assert crypto.decrypt(crypto.encrypt(text)) == text
