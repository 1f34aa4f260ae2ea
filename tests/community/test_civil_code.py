"""Civil Code art. 278 at its edges, in exact arithmetic."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shequ.community import civil_code
from shequ.community.civil_code import Cast, Tally, carried, owner_units, quorum, tally


def t(total_w, total_h, part_w, part_h, yes_w, yes_h) -> Tally:
    return Tally(total_w, total_h, part_w, part_h, yes_w, yes_h)


def test_exactly_two_thirds_take_part_but_one_hundredth_less_does_not():
    assert quorum(t(300_00, 9, 200_00, 6, 0, 0))
    assert not quorum(t(300_00, 9, 200_00 - 1, 6, 0, 0))  # area one hundredth of a m² short
    assert not quorum(t(300_00, 9, 200_00, 5, 0, 0))  # one owner short


def test_an_ordinary_matter_needs_more_than_half_exactly_half_fails():
    assert not carried(t(200, 6, 200, 6, 100, 3), major=False)  # exactly half of area and owners
    assert not carried(t(200, 6, 200, 6, 101, 3), major=False)  # more area, exactly half the owners
    assert not carried(t(200, 6, 200, 6, 100, 4), major=False)
    assert carried(t(200, 6, 200, 6, 101, 4), major=False)


def test_a_major_matter_passes_at_exactly_three_quarters():
    assert carried(t(400, 8, 400, 8, 300, 6), major=True)
    assert not carried(t(400, 8, 400, 8, 299, 6), major=True)
    assert not carried(t(400, 8, 400, 8, 300, 5), major=True)
    # Not a major matter's majority over the whole, but over those taking part.
    assert carried(t(600, 12, 400, 8, 300, 6), major=True)


def test_without_the_quorum_nothing_passes():
    assert not carried(t(300, 9, 199, 6, 199, 6), major=False)


def test_co_owners_count_once_and_an_owner_of_several_dwellings_once():
    units = owner_units({1: [10, 11], 2: [11], 3: [12], 4: []})
    assert units[1] == units[2] != units[3]
    assert units[4] == 0  # unsold or unrecorded: one owner for all of them


def test_an_owner_whose_dwellings_split_takes_part_on_neither_side():
    result = tally([Cast(100, 1, "yes"), Cast(100, 1, "no"), Cast(100, 2, "yes"), Cast(50, 3, None)])
    assert (result.total_weight, result.total_heads) == (350, 3)
    assert (result.part_weight, result.part_heads, result.yes_weight, result.yes_heads) == (300, 2, 200, 1)


@settings(max_examples=60, deadline=None)
@given(total_w=st.integers(1, 10**9), total_h=st.integers(1, 10**4), data=st.data(), major=st.booleans())
def test_the_integer_rules_equal_the_fractions(total_w, total_h, data, major):
    part_w = data.draw(st.integers(0, total_w))
    part_h = data.draw(st.integers(0, total_h))
    yes_w = data.draw(st.integers(0, part_w))
    yes_h = data.draw(st.integers(0, part_h))
    tally_ = t(total_w, total_h, part_w, part_h, yes_w, yes_h)
    q = Fraction(part_w, total_w) >= Fraction(2, 3) and Fraction(part_h, total_h) >= Fraction(2, 3)
    assert quorum(tally_) == q
    if q and part_h and part_w:
        bar = Fraction(3, 4)
        yes_area, yes_heads = Fraction(yes_w, part_w), Fraction(yes_h, part_h)
        want = (
            (yes_area >= bar and yes_heads >= bar)
            if major
            else (yes_area > Fraction(1, 2) and yes_heads > Fraction(1, 2))
        )
        assert carried(tally_, major=major) == want


@pytest.mark.parametrize(("part", "whole", "shown"), [(2, 3, "66.7%"), (1, 2, "50.0%"), (0, 0, "0.0%")])
def test_percent_is_for_reading_only(part, whole, shown):
    assert civil_code.percent(part, whole) == shown
