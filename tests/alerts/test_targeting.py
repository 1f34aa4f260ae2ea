"""The area resolves through the geography and the base: boundaries of polygons and circles, regions, counts."""

from __future__ import annotations

import math
from datetime import date

from shequ.alerts import targeting
from shequ.alerts.targeting import Area, Shape
from shequ.registry import actions as registry
from shequ.registry.models import Residence

from .conftest import building_at, draft, organization_in, resident_in

# World: C1 spans lon 114.05-114.06, lat 22.54-22.55; G1 is its west half, G2 its east half.
EPS = 0.00002  # about 2 m


def _square(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def _residents(area: Area) -> set[int]:
    return set(targeting.resolve(area).residents.values_list("pk", flat=True))


def test_a_polygon_takes_the_building_just_inside_and_not_the_one_just_outside(world):
    # The polygon's east edge at 114.0525 crosses G1; its west part covers G1's west edge area.
    poly = _square(114.051, 22.541, 114.0525, 22.546)
    inside = resident_in(building_at(world.g1, 114.0525 - EPS, 22.543))
    outside = resident_in(building_at(world.g1, 114.0525 + EPS, 22.543))
    north_out = resident_in(building_at(world.g1, 114.052, 22.546 + EPS))
    assert _residents(Area(shape=Shape(polygon=poly))) == {inside.pk}
    assert north_out.pk not in _residents(Area(shape=Shape(polygon=poly)))
    assert outside.pk not in _residents(Area(shape=Shape(polygon=poly)))


def test_a_polygon_covering_whole_grids_takes_every_building_in_them(world):
    everywhere = _square(114.049, 22.539, 114.061, 22.551)  # all of C1
    a = resident_in(building_at(world.g1, 114.051, 22.541))
    b = resident_in(building_at(world.g2, 114.059, 22.549))
    elsewhere = resident_in(building_at(world.g4, 114.015 + 0.05, 22.545))
    assert _residents(Area(shape=Shape(polygon=everywhere))) == {a.pk, b.pk}
    assert elsewhere.pk not in _residents(Area(shape=Shape(polygon=everywhere)))


def test_a_circle_takes_the_building_just_inside_its_radius_and_not_the_one_just_outside(world):
    lon0, lat0, radius = 114.055, 22.545, 0.3
    # 1 km of latitude is 1/111.195 degrees; step just inside and just outside 300 m, due north and due east.
    dlat = radius / targeting.EARTH_KM_PER_DEGREE
    dlon = radius / (targeting.EARTH_KM_PER_DEGREE * math.cos(math.radians(lat0)))
    north_in = resident_in(building_at(world.g2, lon0, lat0 + dlat * 0.995))
    north_out = resident_in(building_at(world.g2, lon0, lat0 + dlat * 1.005))
    east_in = resident_in(building_at(world.g2, lon0 + dlon * 0.995, lat0))
    east_out = resident_in(building_at(world.g2, lon0 + dlon * 1.005, lat0))
    west_in = resident_in(building_at(world.g1, lon0 - dlon * 0.995, lat0))
    got = _residents(Area(shape=Shape(circle=(lon0, lat0, radius))))
    assert got == {north_in.pk, east_in.pk, west_in.pk}
    assert not {north_out.pk, east_out.pk} & got


def test_a_big_circle_takes_whole_grids(world):
    a = resident_in(building_at(world.g1, 114.0501, 22.5401))
    b = resident_in(building_at(world.g2, 114.0599, 22.5499))
    far = resident_in(building_at(world.g3, 114.055, 22.555))
    got = _residents(Area(shape=Shape(circle=(114.055, 22.545, 0.9))))  # C1 is ~1 km wide: corners ~0.77 km away
    assert got == {a.pk, b.pk}
    assert far.pk not in got


def test_regions_resolve_by_code_prefix(world):
    g1 = resident_in(building_at(world.g1, 114.052, 22.545))
    g2 = resident_in(building_at(world.g2, 114.057, 22.545))
    g3 = resident_in(building_at(world.g3, 114.055, 22.555))
    assert _residents(Area(codes=(world.g1.code,))) == {g1.pk}
    assert _residents(Area(codes=(world.c1.code,))) == {g1.pk, g2.pk}
    assert _residents(Area(codes=(world.c1.code, world.c3.code))) == {g1.pk, g2.pk, g3.pk}


def test_regions_and_a_shape_together_mean_their_intersection(world):
    g1 = resident_in(building_at(world.g1, 114.054, 22.545))
    g2 = resident_in(building_at(world.g2, 114.056, 22.545))
    shape = Shape(circle=(114.055, 22.545, 0.5))
    assert _residents(Area(shape=shape)) == {g1.pk, g2.pk}
    assert _residents(Area(codes=(world.g2.code,), shape=shape)) == {g2.pk}


def test_counts_dwellings_residents_organisations_and_distinct_contacts(world):
    b = building_at(world.g1, 114.052, 22.545)
    resident_in(b, phone="13800000001")
    resident_in(b, phone="13800000002")
    resident_in(b)  # no phone
    organization_in(b, phone="13800000001")  # the same number as a resident: one contact point
    organization_in(b, phone="075512345678")
    resident_in(building_at(world.g3, 114.055, 22.555), phone="13800000009")  # elsewhere
    counts = targeting.resolve(Area(codes=(world.c1.code,))).counts()
    assert counts == targeting.Counts(dwellings=5, residents=3, workers=0, organizations=2, contacts=3)


def test_people_who_moved_out_are_not_targeted(world):
    b = building_at(world.g1, 114.052, 22.545)
    stays = resident_in(b)
    leaves = resident_in(b)
    residence = Residence.objects.get(person=leaves)
    registry.move_out(residence, until=date(2021, 1, 1), by=None, source=registry.MANUAL)
    assert _residents(Area(codes=(world.g1.code,))) == {stays.pk}


def test_people_who_work_in_the_area_and_live_elsewhere_are_reached_while_employed(world):
    b = building_at(world.g1, 114.052, 22.545)
    shop = organization_in(b)
    local = resident_in(b, phone="13800000001")
    commuter = resident_in(building_at(world.g3, 114.055, 22.555), phone="13800000009")  # lives in C3
    former = resident_in(building_at(world.g3, 114.056, 22.556), phone="13800000010")
    for person in (local, commuter, former):
        registry.employ(person, shop, since=date(2022, 1, 1), by=None, source=registry.MANUAL)
    registry.leave_employment(former.employments.get(), until=date(2023, 1, 1), by=None, source=registry.MANUAL)
    target = targeting.resolve(Area(codes=(world.c1.code,)))
    assert set(target.workers.values_list("pk", flat=True)) == {commuter.pk}  # the local is a resident already
    counts = target.counts()
    assert (counts.residents, counts.workers, counts.contacts) == (1, 1, 2)
    # Not where they live: an alert over C3 reaches the commuter as a resident, not as a worker.
    elsewhere = targeting.resolve(Area(codes=(world.c3.code,)))
    assert commuter.pk in set(elsewhere.residents.values_list("pk", flat=True))
    assert not elsewhere.workers.exists()


def test_the_alert_stores_its_counts_and_its_covering_area_code(world):
    resident_in(building_at(world.g1, 114.052, 22.545))
    resident_in(building_at(world.g2, 114.057, 22.545))
    alert = draft(world.community_staff, polygon=_square(114.051, 22.541, 114.054, 22.549))
    assert (alert.target_residents, alert.area_code) == (1, world.g1.code)
    wide = draft(world.community_staff, circle_lon=114.055, circle_lat=22.545, circle_radius_km=0.4)
    assert (wide.target_residents, wide.area_code) == (2, world.c1.code)
