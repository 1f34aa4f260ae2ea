"""/api/stats/membership: yes or no, never the record; invalid numbers, scope, the hourly limit, the audit."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from shequ.audit.models import AuditEntry
from shequ.core import clock
from shequ.registry import actions
from shequ.registry.actions import MANUAL
from tests.api.conftest import CJK, assert_error
from tests.registry.conftest import dwelling_in
from tests.registry.ids import make_id

from .conftest import PURPOSE

NUMBER = make_id(date(1985, 4, 12), seq=318)
STRANGER = make_id(date(1979, 9, 30), seq=501)


@pytest.fixture
def resident(town):
    person = actions.create_person(by=None, source=MANUAL, name="钱玉兰", id_number=NUMBER)
    actions.move_in(
        person, dwelling_in(town.world.g1, room="808"), role="owner", since=date(2021, 5, 1), by=None, source=MANUAL
    )
    return person


def check(client, number: str, area: str, purpose: str = PURPOSE):
    return client.post("/stats/membership", {"id_number": number, "area": area, "purpose": purpose})


def test_yes_and_no(town, ask, resident):
    world, client = town.world, ask()
    for area, member in ((world.c1.code, True), (world.s1.code, True), (world.g1.code, True), (world.g2.code, False)):
        resp = check(client, NUMBER, area)
        assert resp.status_code == 200, resp.content
        assert resp.json() == {"member": member}
    assert check(client, STRANGER, world.s1.code).json() == {"member": False}
    # Lower case x, spaces, full-width digits: the same number.
    assert check(client, " " + NUMBER.replace("2", "２") + " ", world.s1.code).json() == {"member": True}


def test_someone_who_moved_out_is_not_a_member(town, ask, resident):
    actions.move_out(resident.residences.get(), by=None, source=MANUAL)
    with clock.frozen(clock.now() + timedelta(days=1)):
        assert check(ask(), NUMBER, town.world.c1.code).json() == {"member": False}


def test_an_invalid_number_is_422_in_chinese(town, ask):
    wrong = NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")
    body = assert_error(check(ask(), wrong, town.world.c1.code), 422, "id_number_check_digit")
    assert CJK.search(body["message"]) and body["field"] == "id_number"
    assert_error(check(ask(), "12345", town.world.c1.code), 422, "id_number_length")


def test_scope_and_purpose(town, ask, resident):
    world = town.world
    assert_error(check(ask(), NUMBER, world.c3.code), 404, "stats_area_not_found")
    assert_error(check(ask(world.community_staff), NUMBER, world.c1.code), 403, "stats_forbidden")
    body = assert_error(check(ask(), NUMBER, world.c1.code, purpose="  "), 422, "purpose_required")
    assert CJK.search(body["message"])
    assert check(ask(world.admin), NUMBER, world.c1.code).json() == {"member": True}


def test_every_check_is_audited_without_the_number_in_clear(town, ask, resident):
    check(ask(), NUMBER, town.world.c1.code)
    check(ask(), NUMBER[:-1] + "0" if NUMBER[-1] != "0" else NUMBER[:-1] + "1", town.world.c1.code)
    entries = list(AuditEntry.objects.filter(action="stats.membership").order_by("sequence"))
    assert len(entries) == 2
    assert all(e.purpose == PURPOSE and e.fields == ["person.id_number"] for e in entries)
    assert entries[0].detail["member"] is True and "invalid" in entries[1].detail
    for entry in entries:
        dumped = json.dumps([entry.detail, entry.target_id, entry.purpose, entry.fields], ensure_ascii=False)
        assert NUMBER not in dumped and NUMBER[:17] not in dumped


def test_the_hourly_limit(town, ask, resident, settings):
    settings.SHEQU_STATS_MEMBERSHIP_PER_HOUR = 3
    client, area = ask(), town.world.c1.code
    for _ in range(3):
        assert check(client, NUMBER, area).status_code == 200
    body = assert_error(check(client, NUMBER, area), 429, "stats_rate_limited")
    assert CJK.search(body["message"])
    # Another token of the same department shares the limit; an hour later it is open again.
    assert_error(check(ask(), NUMBER, area), 429, "stats_rate_limited")
    with clock.frozen(clock.now() + timedelta(minutes=61)):
        assert check(client, NUMBER, area).status_code == 200
