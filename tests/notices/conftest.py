from __future__ import annotations

import itertools
from datetime import date

import pytest
from django.apps import apps

from shequ.access.models import Role, User
from shequ.geo.models import Region
from shequ.notices import actions
from shequ.notices.actions import NoticeInput
from shequ.notices.models import Notice
from shequ.registry import actions as registry
from shequ.registry.models import CodeTable, Person
from shequ.registry.seed import seed
from tests.registry.conftest import dwelling_in
from tests.world import user

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _seeded(request) -> None:
    """The data migration seeds the dictionary and tags; a transactional test elsewhere may have flushed them."""
    if "db" in request.fixturenames or "world" in request.fixturenames:
        request.getfixturevalue("db")
        if not CodeTable.objects.exists():
            seed(apps)


def resident_of(grid: Region, account: User | None = None, *, tags: tuple[str, ...] = ()) -> Person:
    """A person living in a new dwelling of the grid (through the registry's actions), with a portal account."""
    n = next(_numbers)
    account = account or user(f"res{n}", Role.RESIDENT)
    person = registry.create_person(by=None, source=registry.MANUAL, name=f"居民{n}")
    # Linking the portal account is not a tracked field (no registry action writes it): set it directly.
    Person.objects.filter(pk=person.pk).update(account=account)
    person.account = account
    dwelling = dwelling_in(grid, room=f"{n}")
    registry.move_in(person, dwelling, role="owner", since=date(2020, 1, 1), by=None, source=registry.MANUAL)
    for code in tags:
        registry.tag(person, code, since=date(2020, 1, 1), by=None, source=registry.MANUAL)
    return person


def notice(by: User, *regions: Region, publish: bool = True, **fields) -> Notice:
    data = NoticeInput(
        title=fields.pop("title", "停水通知"),
        body=fields.pop("body", "明日 **9:00-17:00** 停水。"),
        regions=list(regions),
        **fields,
    )
    n = actions.compose(by=by, data=data)
    return actions.publish(n, by=by) if publish else n
