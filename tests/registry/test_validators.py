"""Property tests of the identifier checks: ID numbers (GB 11643), credit codes (GB 32100), phones."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shequ.core.errors import InvalidInput
from shequ.registry.validators import (
    birth_and_gender_from_id,
    check_consistent_with_id,
    check_credit_code,
    check_id_number,
    check_phone,
    normalize_id_number,
)

from .ids import CREDIT_ALPHABET, CREDIT_WEIGHTS, ID_WEIGHTS, credit_check, id_check_digit

areas = st.from_regex(r"\A[1-8][0-9]{5}\Z")
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31))
sequences = st.integers(min_value=0, max_value=999)


@st.composite
def id_numbers(draw) -> str:
    body = f"{draw(areas)}{draw(births):%Y%m%d}{draw(sequences):03d}"
    return body + id_check_digit(body)


@st.composite
def credit_codes(draw) -> str:
    body = draw(st.from_regex(r"\A[1-9][0-9]{7}\Z")) + draw(st.text(alphabet=CREDIT_ALPHABET, min_size=9, max_size=9))
    return body + credit_check(body)


# --- ID numbers ------------------------------------------------------------------------------


def test_it_accepts_the_standards_example():
    assert check_id_number("11010519491231002x") == "11010519491231002X"


@given(id_numbers())
def test_it_accepts_every_valid_id_number(number):
    assert check_id_number(number) == number
    assert check_id_number(f" {number.lower()} ") == number


def test_it_proves_a_single_digit_change_always_moves_the_check_digit():
    # The sum changes by (new - old) * w with 0 < |new - old| < 11 and 0 < w < 11: 11 is prime, so the change
    # is never 0 mod 11, whatever the position and digits.
    assert all(0 < w < 11 for w in ID_WEIGHTS)
    assert all(d * w % 11 for w in ID_WEIGHTS for d in range(-9, 10) if d)


@given(id_numbers(), st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=10))
def test_it_rejects_any_single_character_change(number, position, shift):
    alphabet = "0123456789X" if position == 17 else "0123456789"
    old = alphabet.index(number[position])
    new = alphabet[(old + shift) % len(alphabet)]
    if new == number[position]:
        return
    changed = number[:position] + new + number[position + 1 :]
    with pytest.raises(InvalidInput) as refused:
        check_id_number(changed)
    assert refused.value.code == "id_number_check_digit"


@given(areas, st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), sequences)
def test_it_upgrades_a_15_digit_number_and_round_trips(area, born, seq):
    legacy = f"{area}{born:%y%m%d}{seq:03d}"
    upgraded = normalize_id_number(legacy)
    assert upgraded == f"{area}{born:%Y%m%d}{seq:03d}" + id_check_digit(f"{area}{born:%Y%m%d}{seq:03d}")
    assert upgraded[:6] + upgraded[8:17] == legacy
    assert check_id_number(legacy) == upgraded


@given(areas, births, sequences)
def test_it_derives_birth_date_and_gender(area, born, seq):
    body = f"{area}{born:%Y%m%d}{seq:03d}"
    assert birth_and_gender_from_id(body + id_check_digit(body)) == (born, "1" if seq % 2 else "2")


@pytest.mark.parametrize(
    "raw, code",
    [
        ("1101051949123100", "id_number_length"),
        ("11010519491231002XX", "id_number_length"),
        ("11010519491231A02X", "id_number_format"),
        ("110105194912310021", "id_number_check_digit"),
    ],
)
def test_it_names_what_is_wrong_with_an_id_number(raw, code):
    with pytest.raises(InvalidInput) as refused:
        check_id_number(raw)
    assert refused.value.code == code
    assert refused.value.field == "id_number"


@pytest.mark.parametrize("birth", ["19490230", "18790101", "20991231"])
def test_it_rejects_a_birth_date_that_is_not_real_and_past(birth):
    body = f"110105{birth}002"
    with pytest.raises(InvalidInput) as refused:
        check_id_number(body + id_check_digit(body))
    assert refused.value.code == "id_number_birth_date"


def test_it_speaks_chinese_about_a_bad_check_digit():
    with pytest.raises(InvalidInput) as refused:
        check_id_number("110105194912310021")
    assert refused.value.message == "公民身份号码校验位错误，请检查是否有数字录入错误。"


def test_it_checks_birth_date_and_gender_against_the_id_number():
    number = "11010519491231002X"  # born 1949-12-31, sequence 002: female
    check_consistent_with_id(number, birth_date=date(1949, 12, 31), gender="2")
    check_consistent_with_id(number, birth_date=None, gender="")
    with pytest.raises(InvalidInput) as refused:
        check_consistent_with_id(number, birth_date=date(1949, 12, 30), gender="2")
    assert refused.value.code == "birth_date_mismatch"
    with pytest.raises(InvalidInput) as refused:
        check_consistent_with_id(number, birth_date=None, gender="1")
    assert refused.value.code == "gender_mismatch"


# --- credit codes ----------------------------------------------------------------------------


def test_it_proves_a_single_character_change_always_moves_the_credit_check():
    assert all(0 < w < 31 for w in CREDIT_WEIGHTS)
    assert all(d * w % 31 for w in CREDIT_WEIGHTS for d in range(-30, 31) if d)


@given(credit_codes())
def test_it_accepts_every_valid_credit_code(code):
    assert check_credit_code(code) == code
    assert check_credit_code(f"{code[:2]} {code[2:8]}-{code[8:].lower()}") == code


@given(credit_codes(), st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=30))
def test_it_rejects_a_changed_credit_code_character(code, position, shift):
    alphabet = "0123456789" if position < 8 else CREDIT_ALPHABET
    new = alphabet[(alphabet.index(code[position]) + shift) % len(alphabet)]
    if new == code[position]:
        return
    with pytest.raises(InvalidInput) as refused:
        check_credit_code(code[:position] + new + code[position + 1 :])
    assert refused.value.code == "credit_code_check_digit"


@pytest.mark.parametrize(
    "raw, code",
    [
        ("9111000060003734", "credit_code_length"),
        ("A1110000600037341L", "credit_code_format"),
        ("91110000600O37341L", "credit_code_format"),
    ],
)
def test_it_names_what_is_wrong_with_a_credit_code(raw, code):
    with pytest.raises(InvalidInput) as refused:
        check_credit_code(raw)
    assert refused.value.code == code


# --- phones ----------------------------------------------------------------------------------


@given(st.from_regex(r"\A1[3-9][0-9]{9}\Z"))
def test_it_accepts_mobile_numbers_in_their_usual_spellings(mobile):
    assert check_phone(mobile) == mobile
    assert check_phone(f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}") == mobile


@given(st.from_regex(r"\A(010|02[0-9]|0[3-9][0-9]{2})\Z"), st.from_regex(r"\A[2-8][0-9]{6,7}\Z"))
def test_it_accepts_landlines_with_an_area_code(area, local):
    assert check_phone(f"{area}{local}") == f"{area}-{local}"
    assert check_phone(f"({area}) {local}") == f"{area}-{local}"


@given(
    st.one_of(
        st.from_regex(r"\A1[0-2][0-9]{9}\Z"), st.from_regex(r"\A1[3-9][0-9]{8}\Z"), st.from_regex(r"\A[0-9]{1,6}\Z")
    )
)
def test_it_rejects_what_is_not_a_phone_number(raw):
    with pytest.raises(InvalidInput) as refused:
        check_phone(raw)
    assert refused.value.code == "phone_invalid"


def test_it_reads_full_width_digits_typed_with_a_chinese_input_method():
    assert check_id_number("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"
    assert check_phone("１３８ ０００１ ２３４５") == "13800012345"
    assert check_phone("（０７５５）８８８８６６６６") == "0755-88886666"


def test_it_rejects_digits_of_other_scripts():
    with pytest.raises(InvalidInput) as refused:
        check_id_number("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X")
    assert refused.value.code == "id_number_format"
