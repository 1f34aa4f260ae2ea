"""The responsibility list: which unit an event goes to, and its time limit."""

from __future__ import annotations

from shequ.access.models import Unit
from shequ.events import actions
from shequ.events.catalog import Limit, route, time_limit_for
from shequ.events.models import Duty, TimeLimit, TimeUnit

from .loop import accepted


def unit_at(region, code: str) -> Unit:
    return Unit.objects.create(code=code, name=code, region=region)


def test_it_routes_to_the_most_specific_region(world):
    # Litter: C1's own duty beats the S1 and district duties of its group.
    assert route(world.litter, area_code=world.g1.code, desk=world.c1) == world.sanitation
    # Graffiti in S1: the street's group duty beats the district's.
    assert route(world.graffiti, area_code=world.g1.code, desk=world.c1) == world.city_mgmt
    assert route(world.graffiti, area_code=world.g4.code, desk=world.c2) == world.city_mgmt
    # Litter in C2 (no community duty): the street's group duty.
    assert route(world.litter, area_code=world.g4.code, desk=world.c2) == world.city_mgmt
    # Street S2 has no duty of its own: the district's.
    assert route(world.litter, area_code=world.g3.code, desk=world.c3) == world.district_mgmt


def test_it_prefers_the_more_specific_category_in_the_same_region(world):
    graffiti_team = unit_at(world.s1, "S1-QX")
    Duty.objects.create(category=world.graffiti, region=world.s1, unit=graffiti_team)
    assert route(world.graffiti, area_code=world.g1.code, desk=world.c1) == graffiti_team
    # A group duty in a smaller region still beats a leaf duty in a larger one.
    c1_team = unit_at(world.c1, "C1-ZH")
    Duty.objects.create(category=world.group_env, region=world.c1, unit=c1_team)
    assert route(world.graffiti, area_code=world.g1.code, desk=world.c1) == c1_team
    assert route(world.graffiti, area_code=world.g4.code, desk=world.c2) == graffiti_team


def test_it_routes_by_grid_duties_only_inside_the_grid(world):
    g2_team = unit_at(world.c1, "G2-HW")
    Duty.objects.create(category=world.litter, region=world.g2, unit=g2_team)
    assert route(world.litter, area_code=world.g2.code, desk=world.c1) == g2_team
    assert route(world.litter, area_code=world.g1.code, desk=world.c1) == world.sanitation
    # An event known only by its community is not inside any grid.
    assert route(world.litter, area_code=world.c1.code, desk=world.c1) == world.sanitation


def test_it_routes_an_escalated_event_only_to_units_at_the_desk_level_or_above(world):
    assert route(world.litter, area_code=world.g1.code, desk=world.s1) == world.city_mgmt
    assert route(world.litter, area_code=world.g1.code, desk=world.district) == world.district_mgmt
    assert route(world.graffiti, area_code=world.g1.code, desk=world.district) == world.district_mgmt


def test_it_skips_an_inactive_unit(world):
    world.sanitation.active = False
    world.sanitation.save()
    assert route(world.litter, area_code=world.g1.code, desk=world.c1) == world.city_mgmt
    world.city_mgmt.active = False
    world.city_mgmt.save()
    assert route(world.litter, area_code=world.g1.code, desk=world.c1) == world.district_mgmt
    world.district_mgmt.active = False
    world.district_mgmt.save()
    assert route(world.litter, area_code=world.g1.code, desk=world.c1) is None


def test_it_finds_no_unit_without_a_duty(world):
    assert route(world.noise, area_code=world.g1.code, desk=world.c1) is None


def test_it_dispatches_an_escalated_event_to_the_street_unit(world):
    event = actions.escalate(accepted(world), by=world.community_staff, reason="社区无法处置")
    event = actions.dispatch(event, by=world.street_dispatcher)
    assert (event.unit, event.desk) == (world.city_mgmt, world.s1)


def test_it_takes_the_time_limit_of_the_category_then_its_parent_then_the_level(world):
    assert time_limit_for(world.litter, world.general) == Limit(2, TimeUnit.DAYS)  # its own
    assert time_limit_for(world.litter, world.urgent) == Limit(2, TimeUnit.HOURS)  # group 01's
    assert time_limit_for(world.graffiti, world.urgent) == Limit(2, TimeUnit.HOURS)  # group 01's
    assert time_limit_for(world.graffiti, world.general) == Limit(5, TimeUnit.DAYS)  # the level's default
    assert time_limit_for(world.noise, world.urgent) == Limit(4, TimeUnit.HOURS)  # the level's default
    assert time_limit_for(None, world.general) == Limit(5, TimeUnit.DAYS)
    TimeLimit.objects.create(category=world.graffiti, level=world.urgent, amount=1, unit=TimeUnit.HOURS)
    assert time_limit_for(world.graffiti, world.urgent) == Limit(1, TimeUnit.HOURS)


def test_it_does_not_route_an_event_back_to_the_unit_that_returned_it(world):
    event = accepted(world, category=world.litter)
    event = actions.dispatch(event, by=world.community_staff)
    assert event.unit == world.sanitation
    event = actions.return_(event, by=world.handler, reason="不属于本队职责")
    assert actions.suggested_unit(event) == world.city_mgmt
    event = actions.dispatch(event, by=world.community_staff)
    assert event.unit == world.city_mgmt
    # Returned again: the next duty up the list, the district's.
    event = actions.return_(event, by=world.handler_city, reason="不属于城管职责")
    event = actions.dispatch(event, by=world.community_staff)
    assert event.unit == world.district_mgmt
