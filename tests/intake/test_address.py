"""Addresses as people write them, to the base's building, dwelling and grid."""

from __future__ import annotations

import pytest

from shequ.geo import index as geo_index
from shequ.geo.models import Building, Dwelling
from shequ.intake import address
from shequ.intake.numerals import normalise_digits, to_chinese, to_int

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


def test_a_building_saved_or_deleted_is_seen_at_the_next_resolve(buildings, catalog_world):
    """No forget(): saving a building moves the geo version the index was read at (so does deleting one)."""
    w = catalog_world
    assert address.resolve("翠海花园9栋").building is None
    new = Building.objects.create(grid=w.g2, name="翠海花园9栋", address="红荔路3号翠海花园9栋", lon=0, lat=0)
    assert address.resolve("翠海花园9栋").building == new
    new.delete()
    assert address.resolve("翠海花园9栋").building is None


def test_a_building_gone_behind_the_index_is_no_candidate(buildings, catalog_world):
    """Another process deleted it and this one was not nudged yet: resolve skips it instead of failing."""
    w = catalog_world
    new = Building.objects.create(grid=w.g2, name="翠海花园9栋", address="红荔路3号翠海花园9栋", lon=0, lat=0)
    assert address.resolve("翠海花园9栋").building == new
    Building.objects.filter(pk=new.pk).delete()  # a queryset delete still sends post_delete: hide it from the index
    address._index.version = geo_index.version()
    found = address.resolve("翠海花园9栋")
    assert found.building != new and all(b != new for b, _s in found.candidates)


@pytest.mark.parametrize(
    "text",
    [
        "振华路12号华航小区3栋2单元501",
        "振华路12号3栋",
        "振华路十二号三栋",
        "华航小区3栋",
        "一社区华航小区3栋",
        "东街道振华路十二号三栋",
    ],
)
def test_the_shortlist_keeps_the_building_a_full_scan_finds(buildings, monkeypatch, text):
    """A district has ~50,000 buildings: only a shortlist (shared character pairs, the door number) is scored."""
    full = address.resolve(text)
    monkeypatch.setattr(address, "SHORTLIST", 1)
    short = address.resolve(text)
    assert short.building == full.building == buildings["zh3"]
    assert short.score == full.score


@pytest.mark.parametrize("number", [0, 3, 10, 12, 20, 21, 105, 110, 283, 1001, 2024])
def test_numbers_to_chinese_and_back(number):
    assert to_int(to_chinese(number)) == number


@pytest.mark.parametrize(
    "text",
    [
        "广东省深圳市示范区东街道一社区振华路12号华航小区3栋2单元501",  # province and city in front
        "示范区振华路１２号华航小区３栋",  # the district, full-width digits
        "东街道振华路十二号三栋",  # the street, Chinese numerals, no estate name
        "振华路12号3栋",  # road, door number and building number, no estate name
        "华航小区3栋附近",  # "nearby" after the place
        "一社区华航小区三栋五零一",  # the room in Chinese digits
    ],
)
def test_more_written_forms_find_the_building(buildings, text):
    found = address.resolve(text)
    assert found.building == buildings["zh3"], found.candidates
    assert found.grid == buildings["zh3"].grid


def test_the_building_number_decides_on_the_same_road_and_door_number(buildings, catalog_world):
    w = catalog_world
    five = Building.objects.create(grid=w.g2, name="华航小区5栋", address="振华路12号华航小区5栋", lon=0, lat=0)
    address.forget()
    assert address.resolve("振华路十二号五栋").building == five
    assert address.resolve("振华路十二号三栋").building == buildings["zh3"]
    ambiguous = address.resolve("振华路12号")  # the door number alone: both buildings, no single one
    assert ambiguous.building is None
    assert {b for b, _s in ambiguous.candidates} >= {five, buildings["zh3"]}


def test_a_region_name_inside_a_building_name_is_kept(buildings, catalog_world):
    """An estate named after its community (华航商务中心 in 华航社区): the short name is not cut off."""
    from shequ.geo.models import Region, RegionLevel

    w = catalog_world
    Region.objects.create(code="440304001003", name="华航社区", level=RegionLevel.COMMUNITY, parent=w.s1)
    office = Building.objects.create(
        grid=w.g4, name="华航商务中心A座", address="深南路8号华航商务中心A座", lon=0, lat=0
    )
    address.forget()
    assert address.resolve("华航商务中心A座").building == office
    assert address.resolve("深南路八号华航商务中心a座").building == office


def test_a_village_house_and_its_room(catalog_world):
    w = catalog_world
    house = Building.objects.create(grid=w.g3, name="南天村1巷3号", address="南天村1巷3号", lon=0, lat=0)
    room = Dwelling.objects.create(building=house, entrance="", floor=2, room="201")
    address.forget()
    found = address.resolve("三社区南天村一巷三号201室")
    assert found.building == house and found.dwelling == room and found.grid == w.g3


def test_an_address_the_base_repeats_in_two_grids_gives_both(catalog_world):
    w = catalog_world
    a = Building.objects.create(grid=w.g1, name="南天村1巷3号", address="南天村1巷3号", lon=0, lat=0)
    b = Building.objects.create(grid=w.g3, name="南天村1巷3号", address="南天村1巷3号", lon=0, lat=0)
    address.forget()
    found = address.resolve("南天村1巷3号")
    assert found.building is None and found.grid is None
    assert {c for c, _s in found.candidates} >= {a, b}
    assert address.resolve("西街道三社区南天村1巷3号").building == b  # the community tells them apart


def test_the_room_tells_apart_two_houses_the_base_gives_one_address(catalog_world):
    w = catalog_world
    low = Building.objects.create(grid=w.g1, name="南天村1巷3号", address="南天村1巷3号", lon=0, lat=0)
    high = Building.objects.create(grid=w.g3, name="南天村1巷3号", address="南天村1巷3号", lon=0, lat=0)
    Dwelling.objects.create(building=low, entrance="", floor=2, room="201")
    Dwelling.objects.create(building=high, entrance="", floor=2, room="201")
    top = Dwelling.objects.create(building=high, entrance="", floor=3, room="303")
    address.forget()
    found = address.resolve("南天村一巷三号303室")
    assert found.building == high and found.dwelling == top and found.grid == w.g3
    both = address.resolve("南天村1巷3号201")  # both have a 201: still both
    assert both.building is None and {c for c, _s in both.candidates} >= {low, high}


@pytest.mark.parametrize(
    "text",
    [
        "华航小区3-2-501",  # building-entrance-room with dashes
        "华航小区3栋2-501",
        "华航小区3号楼2单元501",  # 号楼 for 栋
        "华航小区3#2单元501",  # 3# for building 3
        "华航小区3幢2单元501室",
        "振华路12號华航小区3棟2单元501",  # traditional characters
    ],
)
def test_building_and_room_written_with_dashes_and_other_marks(buildings, text):
    found = address.resolve(text)
    assert found.building == buildings["zh3"], found.candidates
    assert found.dwelling is not None and (found.dwelling.entrance, found.dwelling.room) == ("2", "501")


def test_an_estate_named_without_its_suffix(catalog_world):
    w = catalog_world
    estate = Building.objects.create(grid=w.g2, name="嘉汇雅苑6栋", address="嘉禾街21号嘉汇雅苑6栋", lon=0, lat=0)
    Building.objects.create(grid=w.g3, name="嘉禾大厦6座", address="嘉禾街30号嘉禾大厦6座", lon=0, lat=0)
    address.forget()
    assert address.resolve("嘉汇小区6栋").building == estate  # residents' "X小区" for X雅苑
    assert address.resolve("嘉汇6栋").building == estate


def test_downstairs_of_a_door_number_is_not_a_building_number(buildings):
    # 12号楼下 is "below No. 12", not building 12 (号楼 reads as 栋 only when nothing like 下 follows)
    assert address.resolve("振华路12号楼下").building == buildings["zh3"]
