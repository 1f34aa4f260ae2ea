"""``writing.save`` writes only the fields an action names: what each action returns must be the row as stored, or a
field it changed was left out (issue #16)."""

from __future__ import annotations

from shequ.events import actions
from shequ.events.models import Event

from .loop import accepted, reported


def as_stored(event: Event) -> Event:
    """The event the action returned, checked field for field against a fresh read of its row."""
    fresh = Event.objects.get(pk=event.pk)
    for field in Event._meta.concrete_fields:
        assert getattr(event, field.attname) == getattr(fresh, field.attname), field.name
    return event


def test_it_stores_every_field_each_action_changes(world):
    staff, handler, verifier = world.community_staff, world.handler, world.grid_worker
    event = as_stored(actions.accept(reported(world, category=None), by=staff, category=world.litter))
    event = as_stored(actions.dispatch(event, by=staff))
    event = as_stored(actions.request_extension(event, by=handler, hours=8, reason="等待清运车"))
    event = as_stored(actions.decide_extension(event, by=staff, approve=True))
    event = as_stored(actions.request_extension(event, by=handler, hours=4, reason="再等"))
    event = as_stored(actions.decide_extension(event, by=staff, approve=False, note="不批"))
    event = as_stored(actions.handle(event, by=handler, result="已清理"))
    event = as_stored(actions.verify(event, by=verifier, passed=False, note="仍有残留"))
    event = as_stored(actions.handle(event, by=handler, result="再次清理"))
    event = as_stored(actions.verify(event, by=verifier, passed=True))
    event = as_stored(actions.rate(event, by=world.resident, score=1, comment="太慢", reopen_if_low=True))
    event = as_stored(actions.supervise(event, by=world.street_dispatcher, note="尽快"))
    as_stored(actions.return_(event, by=handler, reason="不归我们"))

    event = as_stored(actions.dispatch(accepted(world, category=world.noise), by=staff))  # to the street desk
    event = as_stored(actions.dispatch(event, by=world.street_dispatcher, unit=world.city_mgmt))
    event = as_stored(actions.escalate(event, by=world.handler_city, reason="需区级处理"))
    as_stored(actions.recategorize(event, by=world.district_dispatcher, category=world.graffiti))

    as_stored(actions.reject(reported(world), by=staff, reason="重复上报"))
    original = reported(world)
    as_stored(actions.merge(reported(world), into=original, by=staff))
