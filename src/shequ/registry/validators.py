"""Checks of identifiers: ID numbers (GB 11643), credit codes (GB 32100) and phone numbers.

The check-digit maths comes from python-stdnum (``stdnum.cn.ric``, ``stdnum.cn.uscc``); what is ours is the
normalisation, the 15 -> 18 upgrade, and a specific error code and Chinese message per fault. The birth place is
not checked: stdnum's table of county codes lags the real ones, and people come from everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.utils.translation import gettext as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from shequ.core import clock
from shequ.core.errors import InvalidInput

# Codes in GB/T 2261.1: 1 male, 2 female.
MALE, FEMALE = "1", "2"
EARLIEST_BIRTH = date(1880, 1, 1)
# ASCII digits only: str.isdigit() and \d would also take other scripts' digits.
_ID = re.compile(r"[0-9]{17}[0-9X]")
_LEGACY_ID = re.compile(r"[0-9]{15}")


def _ascii(raw: str | None) -> str:
    """Full-width digits and letters (１２３Ｘ, typed with a Chinese input method) as ASCII."""
    return unicodedata.normalize("NFKC", raw or "")


def normalize_id_number(raw: str) -> str:
    """Strip spaces, upper-case the X, and upgrade a 15-digit legacy number (19yy births) to 18 digits."""
    number = re.sub(r"\s+", "", _ascii(raw)).upper()
    if _LEGACY_ID.fullmatch(number):
        body = number[:6] + "19" + number[6:]
        # calc_check_digit ignores the last character: it takes the number with a check digit in place.
        number = body + ric.calc_check_digit(body + "0")
    return number


def check_id_number(raw: str) -> str:
    """The normalised 18-character number, or ``InvalidInput`` saying what is wrong with it."""
    number = normalize_id_number(raw)
    if len(number) != 18:
        raise InvalidInput(
            _("An ID number has 18 characters (or 15 digits for an old one); this one has %(n)d.") % {"n": len(number)},
            code="id_number_length",
            field="id_number",
        )
    if not _ID.fullmatch(number):
        raise InvalidInput(
            _("An ID number is 17 digits followed by a digit or X."), code="id_number_format", field="id_number"
        )
    if number[17] != ric.calc_check_digit(number):
        raise InvalidInput(
            _("The ID number's check digit is wrong: check for a mistyped digit."),
            code="id_number_check_digit",
            field="id_number",
        )
    try:
        born = ric.get_birth_date(number)
    except StdnumError:
        born = None
    if born is None or not EARLIEST_BIRTH <= born <= clock.now().date():
        raise InvalidInput(
            _("The birth date in the ID number is not a real past date."),
            code="id_number_birth_date",
            field="id_number",
        )
    return number


def birth_and_gender_from_id(number: str) -> tuple[date, str]:
    """Birth date and GB/T 2261.1 gender code of a valid 18-character number (odd sequence: male)."""
    return ric.get_birth_date(number), MALE if int(number[16]) % 2 else FEMALE


def check_consistent_with_id(number: str, *, birth_date: date | None, gender: str) -> None:
    """A given birth date and gender must agree with the ID number (empty ones are filled from it by the caller)."""
    born, sex = birth_and_gender_from_id(number)
    if birth_date is not None and birth_date != born:
        raise InvalidInput(
            _("The birth date %(given)s does not match the ID number, which says %(id)s.")
            % {"given": birth_date.isoformat(), "id": born.isoformat()},
            code="birth_date_mismatch",
            field="birth_date",
        )
    if gender and gender != sex:
        raise InvalidInput(
            _("The gender does not match the ID number."),
            code="gender_mismatch",
            field="gender",
        )


def check_credit_code(raw: str) -> str:
    """The normalised unified social credit code, or ``InvalidInput``."""
    code = uscc.compact(_ascii(raw))
    if len(code) != 18:
        raise InvalidInput(
            _("A unified social credit code has 18 characters; this one has %(n)d.") % {"n": len(code)},
            code="credit_code_length",
            field="credit_code",
        )
    try:
        uscc.validate(code)
    except StdnumError as error:
        if error.__class__.__name__ == "InvalidChecksum":
            raise InvalidInput(
                _("The credit code's check character is wrong: check for a mistyped character."),
                code="credit_code_check_digit",
                field="credit_code",
            ) from None
        raise InvalidInput(
            _("A credit code is 8 digits then 10 digits or capital letters (not I, O, Z, S or V)."),
            code="credit_code_format",
            field="credit_code",
        ) from None
    return code


_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# Area codes: 010 and 02x have three digits, the rest four; local numbers 7 or 8 digits.
_LANDLINE = re.compile(r"(010|02[0-9]|0[3-9][0-9]{2})-?([0-9]{7,8})")


def check_phone(raw: str, *, field: str = "phone") -> str:
    """A mobile number as 11 digits, a landline as ``0755-12345678``; ``InvalidInput`` otherwise."""
    phone = re.sub(r"[\s()]", "", _ascii(raw))
    phone = re.sub(r"^(\+86|0086)-?", "", phone)
    if _MOBILE.fullmatch(phone.replace("-", "")):
        return phone.replace("-", "")
    landline = _LANDLINE.fullmatch(phone)
    if landline:
        return f"{landline.group(1)}-{landline.group(2)}"
    raise InvalidInput(
        _("A phone number is an 11-digit mobile number or a landline with its area code."),
        code="phone_invalid",
        field=field,
    )
