"""Valid identifiers for tests, computed here from the standards' formulas (not from the code under test)."""

from __future__ import annotations

from datetime import date

# GB 11643: weight of position i is 2^(17-i) mod 11; check = (12 - sum mod 11) mod 11, 10 written X.
ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
# GB 32100: weight of position i is 3^i mod 31 over a 31-character alphabet; check = 31 - sum mod 31 (31 -> 0).
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [pow(3, i, 31) for i in range(17)]


def id_check_digit(body17: str) -> str:
    value = (12 - sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS, strict=True)) % 11) % 11
    return "X" if value == 10 else str(value)


def make_id(born: date, seq: int = 123, area: str = "440304") -> str:
    body = f"{area}{born:%Y%m%d}{seq:03d}"
    return body + id_check_digit(body)


def credit_check(body17: str) -> str:
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(body17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def make_credit_code(body17: str = "91440300MA5DXXXX1") -> str:
    return body17 + credit_check(body17)
