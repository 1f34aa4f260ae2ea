"""Addresses as people write them, to the base's building, dwelling and grid."""

from __future__ import annotations

import pytest

from shequ.geo.models import Building
from shequ.intake import address
from shequ.intake.numerals import normalise_digits, to_int

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "number"), [("十二", 12), ("三", 3), ("二十一", 21), ("一百零五", 105), ("一〇三", 103), ("十", 10)]
)
def test_chinese_numerals(text, number):
    assert to_int(text) == number


def test_counted_numerals_and_full_width_digits():
    assert normalise_digits("振华路十二号三栋二单元") == "振华路12号3栋2单元"
    assert normalise_digits("振华路１２号３栋") == "振华路12号3栋"
    assert normalise_digits("三社区") == "三社区"  # a name, not a count


@pytest.mark.parametrize(
    "text",
    [
        "示范区东街道一社区振华路12号华航小区3栋2单元501",
        "振华路12号3栋",
        "振华路十二号三栋",
        "华航小区3栋",
        "华航小区三栋",
        "振华路１２号华航小区３栋",
        "一社区华航小区3栋",
    ],
)
def test_each_written_form_finds_the_building(buildings, text):
    found = address.resolve(text)
    assert found.building == buildings["zh3"], found.candidates
    assert found.grid == buildings["zh3"].grid


def test_the_room_finds_the_dwelling(buildings):
    found = address.resolve("振华路12号华航小区3栋2单元501")
    assert found.dwelling is not None
    assert (found.dwelling.entrance, found.dwelling.room) == ("2", "501")


def test_an_ambiguous_address_gives_candidates(buildings):
    found = address.resolve("华航小区")
    assert found.building is None
    assert {b for b, _s in found.candidates} >= {buildings["zh3"], buildings["zh4"]}


def test_nothing_alike_finds_nothing(buildings):
    assert address.resolve("月球背面").building is None


def test_forget_reads_a_changed_base(buildings, catalog_world):
    w = catalog_world
    assert address.resolve("翠海花园9栋").building is None
    new = Building.objects.create(grid=w.g2, name="翠海花园9栋", address="红荔路3号翠海花园9栋", lon=0, lat=0)
    address.forget()
    assert address.resolve("翠海花园9栋").building == new
