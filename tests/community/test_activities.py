"""Volunteers, sign-ups, QR check-in and check-out, the organiser's list, hours and points."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shequ.community import activities, ledger, points, volunteering
from shequ.community.ledger import POINTS, TIME
from shequ.community.models import Activity, Attendance, SignUp, Trigger, Volunteer
from shequ.core import clock
from shequ.core.errors import DomainError, InvalidInput, InvalidTransition, PermissionDenied
from shequ.notices.models import Notice

from .conftest import activity_in, person_in, volunteer_of


@pytest.fixture
def volunteer(world):
    return volunteer_of(world, person_in(world.g1, account=world.resident))


def test_a_resident_registers_as_a_volunteer_of_their_own_community_only(world):
    person = person_in(world.g1, account=world.resident)
    v = volunteer_of(world, person)
    assert (v.person, v.community, v.slots) == (person, world.c1, ["weekend_day"])
    with pytest.raises(InvalidTransition):
        volunteer_of(world, person)
    other = person_in(world.g3)
    with pytest.raises(PermissionDenied):
        volunteering.register(by=other.account, person=other, community=world.c1, profile=volunteering.Profile())
    assert not Volunteer.objects.filter(person=other).exists()


def test_staff_register_people_of_their_area_only(world):
    near, far = person_in(world.g1, account=False), person_in(world.g3, account=False)
    v = volunteering.register(by=world.community_staff, person=near, community=world.c1, profile=volunteering.Profile())
    assert v.registered_by == world.community_staff
    with pytest.raises(PermissionDenied):
        volunteering.register(by=world.community_staff, person=far, community=world.c3, profile=volunteering.Profile())


def test_publishing_can_push_a_notice_to_the_community(world):
    start = clock.now() + timedelta(days=2)
    data = activities.ActivityInput(
        community=world.c1,
        kind="culture",
        title="社区书法课",
        place="活动室",
        sessions=[(start, start + timedelta(hours=1))],
    )
    a = activities.publish(
        activities.create(by=world.community_staff, data=data), by=world.community_staff, announce=True
    )
    notice = Notice.objects.get(pk=a.notice_id)
    assert notice.state == "published" and "社区书法课" in notice.title
    assert list(notice.regions.all()) == [world.c1]
    assert "/portal/community/activities/" in notice.body


def test_a_team_leader_publishes_for_the_team_but_pushes_no_notice(world, volunteer):
    team = volunteering.create_team(by=world.community_staff, community=world.c1, name="银发陪伴队")
    volunteering.add_member(team, by=world.community_staff, volunteer=volunteer, leader=True)
    start = clock.now() + timedelta(days=2)
    data = activities.ActivityInput(
        community=world.c1,
        kind="volunteer",
        title="陪老人聊天",
        place="3栋",
        team=team,
        sessions=[(start, start + timedelta(hours=1))],
    )
    a = activities.create(by=world.resident, data=data)
    with pytest.raises(PermissionDenied):
        activities.publish(a, by=world.resident, announce=True)
    assert activities.publish(a, by=world.resident).state == Activity.State.PUBLISHED
    stranger = person_in(world.g1)
    with pytest.raises(PermissionDenied):
        activities.create(by=stranger.account, data=data)


def test_volunteering_needs_a_volunteer_and_places_run_out(world, volunteer):
    a = activity_in(world, capacity=1)
    resident = person_in(world.g1)
    with pytest.raises(PermissionDenied):
        activities.sign_up(a, by=resident.account)
    activities.sign_up(a, by=world.resident)
    with pytest.raises(InvalidTransition):
        activities.sign_up(a, by=world.resident)
    other = volunteer_of(world, person_in(world.g2))
    with pytest.raises(InvalidTransition) as e:
        activities.sign_up(a, by=other.person.account)
    assert e.value.code == "full"
    activities.cancel_sign_up(a, by=world.resident)
    activities.sign_up(a, by=other.person.account)
    assert activities.signed_count(a) == 1


def test_residents_of_other_communities_cannot_sign_up(world):
    a = activity_in(world, kind="culture")
    outsider = person_in(world.g3)
    with pytest.raises(PermissionDenied):
        activities.sign_up(a, by=outsider.account)
    assert not SignUp.objects.exists()


def test_scanning_checks_in_then_out_and_credits_the_minutes_and_points(world, volunteer):
    points.set_rule(by=world.community_staff, region=world.c1, trigger=Trigger.VOLUNTEER_HOUR, points=10)
    start = clock.now() + timedelta(hours=1)
    a = activity_in(world, starts=start, hours=2)
    activities.sign_up(a, by=world.resident)
    session = a.sessions.get()
    with clock.frozen(start - timedelta(hours=2)), pytest.raises(InvalidTransition):
        activities.scan(session.code, by=world.resident)  # too early
    with clock.frozen(start - timedelta(minutes=10)):
        att, step = activities.scan(session.code, by=world.resident)
    assert step == "in" and att.minutes is None
    with clock.frozen(start + timedelta(minutes=95)):
        att, step = activities.scan(session.code, by=world.resident)
    assert step == "out" and att.minutes == 95  # counted from the session's start
    assert ledger.person_account(TIME, volunteer.person).balance == 95
    assert ledger.person_account(POINTS, volunteer.person).balance == 10 * 95 // 60
    assert ledger.pool_account(TIME, world.c1).balance == -95
    with clock.frozen(start + timedelta(minutes=100)), pytest.raises(InvalidTransition):
        activities.scan(session.code, by=world.resident)
    assert ledger.verify(TIME).ok and ledger.verify(POINTS).ok


def test_a_culture_event_counts_attendance_without_hours(world):
    start = clock.now() + timedelta(hours=1)
    a = activity_in(world, kind="culture", starts=start)
    resident = person_in(world.g1)
    session = a.sessions.get()
    with clock.frozen(start):
        activities.scan(session.code, by=resident.account)  # walk-in: signed up on the spot
    with clock.frozen(start + timedelta(minutes=60)):
        att, _ = activities.scan(session.code, by=resident.account)
    assert att.minutes == 60 and att.transfer is None
    assert ledger.existing_person_account(TIME, resident) is None


def test_a_bad_code_is_not_found(world):
    with pytest.raises(DomainError) as e:
        activities.scan("nope", by=world.resident)
    assert e.value.code in ("not_found", "no_person")


def test_the_organisers_list_records_and_corrects_by_reversal(world, volunteer):
    points.set_rule(by=world.street_dispatcher, region=world.s1, trigger=Trigger.VOLUNTEER_HOUR, points=6)
    start = clock.now() - timedelta(hours=3)
    a = activity_in(world, starts=start, hours=2)
    SignUp.objects.create(activity=a, person=volunteer.person)
    session = a.sessions.get()
    att = activities.record(
        session,
        by=world.community_staff,
        person=volunteer.person,
        checked_in_at=start,
        checked_out_at=start + timedelta(hours=2),
    )
    assert att.minutes == 120 and ledger.person_account(POINTS, volunteer.person).balance == 12
    with pytest.raises(InvalidInput):
        activities.record(
            session,
            by=world.community_staff,
            person=volunteer.person,
            checked_in_at=start,
            checked_out_at=start + timedelta(hours=1),
        )
    att = activities.record(
        session,
        by=world.community_staff,
        person=volunteer.person,
        checked_in_at=start,
        checked_out_at=start + timedelta(hours=1),
        reason="提前离开",
    )
    assert (att.minutes, att.corrections) == (60, 1)
    assert ledger.person_account(TIME, volunteer.person).balance == 60
    assert ledger.person_account(POINTS, volunteer.person).balance == 6
    kinds = list(att.transfer.__class__.objects.order_by("pk").values_list("kind", "amount"))
    assert kinds == [("volunteering", 120), ("reversal", 120), ("volunteering", 60)]
    assert ledger.verify(TIME).ok and ledger.verify(POINTS).ok
    with pytest.raises(PermissionDenied):
        activities.record(
            session,
            by=world.community_staff_c3,
            person=volunteer.person,
            checked_in_at=start,
            checked_out_at=start + timedelta(hours=2),
            reason="x",
        )
    assert Attendance.objects.get().minutes == 60


def test_fitness_check_ins_count_once_a_day_per_spot(world):
    spot = activities.create_spot(by=world.community_staff, community=world.c1, name="中心公园健身点")
    resident = person_in(world.g1)
    first = activities.fitness_check_in(spot.code, by=resident.account)
    again = activities.fitness_check_in(spot.code, by=resident.account)
    assert first.new and not again.new and again.month == 1
    with clock.frozen(clock.now() + timedelta(days=1)):
        assert activities.fitness_check_in(spot.code, by=resident.account).month in (1, 2)
